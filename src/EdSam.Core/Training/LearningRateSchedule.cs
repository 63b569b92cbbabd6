using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>
/// A learning rate as a pure function of the optimisation step, so a resumed run needs only the step to continue the
/// schedule. Call <see cref="Apply"/> before each optimiser step.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for the step with 0-based index <paramref name="step"/>.</summary>
    /// <param name="step">The index of the step about to run (0 for the first step); ≥ 0.</param>
    public abstract double At(long step);

    /// <summary>Sets every parameter group of <paramref name="optimizer"/> to <see cref="At"/>(<paramref name="step"/>).</summary>
    /// <param name="optimizer">The optimiser to update.</param>
    /// <param name="step">The 0-based index of the step about to run.</param>
    /// <returns>The learning rate set.</returns>
    public double Apply(optim.Optimizer optimizer, long step)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        double lr = At(step);
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
        return lr;
    }

    /// <summary>The same learning rate at every step.</summary>
    /// <param name="learningRate">The learning rate; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rate is negative or not finite.</exception>
    public static LearningRateSchedule Constant(double learningRate)
    {
        CheckRate(learningRate, nameof(learningRate));
        return new ConstantSchedule(learningRate);
    }

    /// <summary>
    /// Linear warm-up followed by cosine decay (the schedule of CLIP/open_clip training):
    /// lr(s) = base·(s+1)/W for s &lt; W; then with p = (s−W)/(T−W):
    /// lr(s) = min + ½(base−min)(1+cos(πp)) for W ≤ s &lt; T; and lr(s) = min for s ≥ T.
    /// </summary>
    /// <param name="baseLearningRate">The peak learning rate reached at the end of warm-up; finite and &gt; 0.</param>
    /// <param name="warmupSteps">W, the number of warm-up steps; ≥ 0 and ≤ <paramref name="totalSteps"/>.</param>
    /// <param name="totalSteps">T, the total number of steps; ≥ 1.</param>
    /// <param name="minLearningRate">The final learning rate; ≥ 0 and ≤ <paramref name="baseLearningRate"/>.</param>
    /// <exception cref="ArgumentException">An argument is out of range; the message lists every problem.</exception>
    public static LearningRateSchedule WarmupCosine(double baseLearningRate, long warmupSteps, long totalSteps, double minLearningRate = 0)
    {
        var errors = new List<string>();
        if (!double.IsFinite(baseLearningRate) || baseLearningRate <= 0) errors.Add($"baseLearningRate must be finite and > 0 (was {baseLearningRate}).");
        if (totalSteps < 1) errors.Add($"totalSteps must be at least 1 (was {totalSteps}).");
        if (warmupSteps < 0 || warmupSteps > totalSteps) errors.Add($"warmupSteps must be in [0, totalSteps={totalSteps}] (was {warmupSteps}).");
        if (!double.IsFinite(minLearningRate) || minLearningRate < 0 || minLearningRate > baseLearningRate)
            errors.Add($"minLearningRate must be in [0, baseLearningRate={baseLearningRate}] (was {minLearningRate}).");
        OptionsValidationException.ThrowIfAny("WarmupCosine schedule", errors);
        return new WarmupCosineSchedule(baseLearningRate, warmupSteps, totalSteps, minLearningRate);
    }

    private static void CheckRate(double rate, string name)
    {
        if (!double.IsFinite(rate) || rate < 0) throw new ArgumentOutOfRangeException(name, rate, "A learning rate must be finite and ≥ 0.");
    }

    private static void CheckStep(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
    }

    private sealed class ConstantSchedule(double learningRate) : LearningRateSchedule
    {
        public override double At(long step)
        {
            CheckStep(step);
            return learningRate;
        }

        public override string ToString() => $"Constant({learningRate})";
    }

    private sealed class WarmupCosineSchedule(double baseLr, long warmup, long total, double minLr) : LearningRateSchedule
    {
        public override double At(long step)
        {
            CheckStep(step);
            if (step < warmup) return baseLr * (step + 1) / warmup;
            if (step >= total) return minLr;
            double progress = (double)(step - warmup) / (total - warmup);
            return minLr + 0.5 * (baseLr - minLr) * (1 + Math.Cos(Math.PI * progress));
        }

        public override string ToString() => $"WarmupCosine(base={baseLr}, warmup={warmup}, total={total}, min={minLr})";
    }
}
