using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Schedulers;

/// <summary>
/// What every sampler shares: the forward process (<see cref="AddNoise"/>), the choice of inference timesteps
/// (<see cref="SetTimesteps"/>) and the conversion of a model output to x₀ and ε. Any scheduler drives any model.
/// </summary>
public abstract class DiffusionScheduler
{
    private int[]? _timesteps;

    /// <summary>Creates the scheduler's tables from a configuration (validated here).</summary>
    protected DiffusionScheduler(SchedulerConfig config)
    {
        Config = config.Validate();
        Schedule = new NoiseSchedule(config);
    }

    /// <summary>The configuration the scheduler was built with.</summary>
    public SchedulerConfig Config { get; }

    /// <summary>β, α and ᾱ tables.</summary>
    public NoiseSchedule Schedule { get; }

    /// <summary>The inference timesteps, from noisiest to cleanest, after <see cref="SetTimesteps"/>.</summary>
    /// <exception cref="InvalidOperationException"><see cref="SetTimesteps"/> has not been called.</exception>
    public IReadOnlyList<int> Timesteps => _timesteps ?? throw NotConfigured();

    /// <summary>Number of inference steps chosen by <see cref="SetTimesteps"/>.</summary>
    public int NumInferenceSteps => Timesteps.Count;

    /// <summary>Chooses <paramref name="numInferenceSteps"/> timesteps per <see cref="SchedulerConfig.TimestepSpacing"/>.</summary>
    public void SetTimesteps(int numInferenceSteps)
    {
        int trainSteps = Config.NumTrainTimesteps;
        if (numInferenceSteps < 1 || numInferenceSteps > trainSteps)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), numInferenceSteps, $"must be between 1 and NumTrainTimesteps ({trainSteps})");
        var steps = new int[numInferenceSteps];
        switch (Config.TimestepSpacing)
        {
            case TimestepSpacing.Leading:
                int ratio = trainSteps / numInferenceSteps;
                for (int i = 0; i < numInferenceSteps; i++) steps[i] = (numInferenceSteps - 1 - i) * ratio + Config.StepsOffset;
                break;
            case TimestepSpacing.Trailing:
                double stride = (double)trainSteps / numInferenceSteps;
                for (int i = 0; i < numInferenceSteps; i++) steps[i] = (int)Math.Round(trainSteps - i * stride) - 1;
                break;
            case TimestepSpacing.Linspace:
                for (int i = 0; i < numInferenceSteps; i++)
                    steps[i] = (int)Math.Round(numInferenceSteps == 1 ? trainSteps - 1 : (trainSteps - 1) * (numInferenceSteps - 1 - i) / (double)(numInferenceSteps - 1));
                break;
        }
        if (steps.Any(t => t < 0 || t >= trainSteps))
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), $"StepsOffset {Config.StepsOffset} moves timesteps outside [0, {trainSteps - 1}]");
        _timesteps = steps;
    }

    /// <summary>The inference timestep that follows <paramref name="timestep"/>, or −1 after the last one.</summary>
    public int PreviousTimestep(int timestep)
    {
        var steps = Timesteps;
        int index = IndexOf(steps, timestep);
        return index + 1 < steps.Count ? steps[index + 1] : -1;
    }

    /// <summary>One reverse step from <paramref name="sample"/> at <paramref name="timestep"/> to the previous inference timestep.</summary>
    /// <param name="modelOutput">The network output for (sample, timestep), interpreted per <see cref="SchedulerConfig.PredictionType"/>.</param>
    /// <param name="timestep">One of <see cref="Timesteps"/>.</param>
    /// <param name="sample">x_t, the current noisy sample.</param>
    /// <param name="generator">Random source for stochastic samplers (null: the global generator).</param>
    public abstract SchedulerStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, Generator? generator = null);

    /// <summary>Forward process q(x_t | x₀): √ᾱ_t·x₀ + √(1−ᾱ_t)·ε (Ho et al., 2020, eq. 4).</summary>
    /// <param name="original">x₀, shape [N, …].</param>
    /// <param name="noise">ε, same shape.</param>
    /// <param name="timesteps">int64 [N] training timesteps, one per sample.</param>
    public Tensor AddNoise(Tensor original, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var (signal, noiseScale) = Coefficients(timesteps, original);
        return scope.MoveToOuter(signal * original + noiseScale * noise);
    }

    /// <summary>The v-prediction target √ᾱ_t·ε − √(1−ᾱ_t)·x₀ (Salimans &amp; Ho, 2022, §4).</summary>
    public Tensor GetVelocity(Tensor original, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var (signal, noiseScale) = Coefficients(timesteps, original);
        return scope.MoveToOuter(signal * noise - noiseScale * original);
    }

    /// <summary>ᾱ at a training timestep; ᾱ for t = −1 is 1 when <see cref="SchedulerConfig.SetAlphaToOne"/> else ᾱ₀.</summary>
    protected double AlphaCumprodAt(int timestep) =>
        timestep >= 0 ? Schedule.AlphasCumprod[timestep] : Config.SetAlphaToOne ? 1.0 : Schedule.AlphasCumprod[0];

    /// <summary>Turns a model output into (x̂₀, ε̂) at ᾱ_t (Ho et al. eq. 15; Salimans &amp; Ho §4 for v).</summary>
    protected (Tensor original, Tensor epsilon) PredictOriginalAndNoise(Tensor modelOutput, Tensor sample, double alphaCumprod)
    {
        double signal = Math.Sqrt(alphaCumprod), noiseScale = Math.Sqrt(1 - alphaCumprod);
        Tensor original, epsilon;
        switch (Config.PredictionType)
        {
            case PredictionType.Epsilon:
                epsilon = modelOutput;
                original = (sample - noiseScale * modelOutput) / signal;
                break;
            case PredictionType.VPrediction:
                original = signal * sample - noiseScale * modelOutput;
                epsilon = signal * modelOutput + noiseScale * sample;
                break;
            default:
                original = modelOutput;
                epsilon = (sample - signal * modelOutput) / noiseScale;
                break;
        }
        if (Config.ClipSample)
        {
            original = original.clamp(-Config.ClipSampleRange, Config.ClipSampleRange);
            // Keep ε consistent with the clipped x̂₀ so the deterministic update stays on one trajectory.
            if (Config.PredictionType != PredictionType.Epsilon) epsilon = (sample - signal * original) / noiseScale;
        }
        return (original, epsilon);
    }

    /// <summary>Checks that <paramref name="timestep"/> is one of the inference timesteps.</summary>
    protected int IndexOfTimestep(int timestep) => IndexOf(Timesteps, timestep);

    private static int IndexOf(IReadOnlyList<int> steps, int timestep)
    {
        for (int i = 0; i < steps.Count; i++) if (steps[i] == timestep) return i;
        throw new ArgumentOutOfRangeException(nameof(timestep), timestep, $"not one of the {steps.Count} inference timesteps set by SetTimesteps");
    }

    private (Tensor signal, Tensor noiseScale) Coefficients(Tensor timesteps, Tensor like)
    {
        if (timesteps.dim() != 1 || timesteps.shape[0] != like.shape[0])
            throw new ArgumentException($"timesteps must be a 1-D tensor with one entry per sample ({like.shape[0]}), got shape [{string.Join(",", timesteps.shape)}]", nameof(timesteps));
        long min = timesteps.min().item<long>(), max = timesteps.max().item<long>();
        if (min < 0 || max >= Schedule.Length)
            throw new ArgumentOutOfRangeException(nameof(timesteps), $"timesteps must lie in [0, {Schedule.Length - 1}], got [{min}, {max}]");
        using var table = tensor(Schedule.AlphasCumprod, dtype: ScalarType.Float64);
        var alphaBar = table.index_select(0, timesteps.to(ScalarType.Int64).cpu()).to(like.dtype).to(like.device);
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[0] = like.shape[0];
        alphaBar = alphaBar.reshape(shape);
        return (alphaBar.sqrt(), (1 - alphaBar).sqrt());
    }

    private InvalidOperationException NotConfigured() =>
        new($"{GetType().Name}: call SetTimesteps(numInferenceSteps) before Step or Timesteps.");
}
