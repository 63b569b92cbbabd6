using EdSam.Diffusion.Schedulers;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Models;

/// <summary>
/// Classifier-free guidance (Ho &amp; Salimans, 2022): ε̃ = ε(x, ∅) + s·(ε(x, c) − ε(x, ∅)), computed with one
/// batched call of the inner denoiser on [x; x] with [∅; c]. The inner model must have been trained with
/// conditioning dropout so that the null condition (<see cref="DiffusionCondition.NullClassLabel"/>, zero text) is meaningful.
/// </summary>
public sealed class GuidedDenoiser : IDenoiser
{
    /// <summary>Wraps <paramref name="inner"/> with guidance scale <paramref name="guidanceScale"/>.</summary>
    /// <param name="inner">A conditional denoiser.</param>
    /// <param name="guidanceScale">s ≥ 0: 0 = unconditional, 1 = plain conditional, &gt; 1 = stronger guidance (3–8 is usual).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="guidanceScale"/> is negative or not finite.</exception>
    public GuidedDenoiser(IDenoiser inner, double guidanceScale)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!double.IsFinite(guidanceScale) || guidanceScale < 0)
            throw new ArgumentOutOfRangeException(nameof(guidanceScale), guidanceScale, "guidance scale must be a finite number ≥ 0");
        Inner = inner;
        GuidanceScale = guidanceScale;
    }

    /// <summary>The wrapped conditional denoiser.</summary>
    public IDenoiser Inner { get; }

    /// <summary>The guidance scale s.</summary>
    public double GuidanceScale { get; }

    /// <inheritdoc />
    public SchedulerConfig Scheduler => Inner.Scheduler;

    /// <inheritdoc />
    public IReadOnlyList<long> SampleShape => Inner.SampleShape;

    /// <inheritdoc />
    /// <remarks>Without a condition there is nothing to guide towards: the inner model's unconditional output is returned.</remarks>
    public Tensor Predict(Tensor noisySample, Tensor timesteps, DiffusionCondition? condition = null)
    {
        if (condition is null || condition.BatchSize is null) return Inner.Predict(noisySample, timesteps, condition);
        using var scope = NewDisposeScope();
        long n = noisySample.shape[0];
        var steps = timesteps.dim() == 0 ? timesteps.expand(n) : timesteps;
        var both = DiffusionCondition.Concatenate(condition.ToUnconditional(), condition);
        var output = Inner.Predict(cat(new[] { noisySample, noisySample }, 0), cat(new[] { steps, steps }, 0), both);
        var chunks = output.chunk(2, 0);
        var (unconditional, conditional) = (chunks[0], chunks[1]);
        return scope.MoveToOuter(unconditional + GuidanceScale * (conditional - unconditional));
    }
}
