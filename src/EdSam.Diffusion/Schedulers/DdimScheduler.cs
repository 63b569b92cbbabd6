using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Schedulers;

/// <summary>
/// Song et al. (2021), "Denoising Diffusion Implicit Models": the non-Markovian sampler of eq. 12 with
/// σ_t(η) of eq. 16 — η = 0 is deterministic (and invertible, see <see cref="InvertStep"/>), η = 1 is DDPM.
/// Every operation is differentiable, so a short DDIM decode can be back-propagated through (ED-SAM's guided mode).
/// </summary>
public sealed class DdimScheduler : DiffusionScheduler
{
    /// <summary>Creates a DDIM sampler with stochasticity <paramref name="eta"/> (0 = deterministic).</summary>
    public DdimScheduler(SchedulerConfig? config = null, double eta = 0.0) : base(config ?? new SchedulerConfig())
    {
        if (eta is < 0 or > 1 || double.IsNaN(eta)) throw new ArgumentOutOfRangeException(nameof(eta), eta, "η must lie in [0, 1]");
        Eta = eta;
    }

    /// <summary>η of eq. 16: 0 is deterministic DDIM, 1 recovers DDPM's variance.</summary>
    public double Eta { get; }

    /// <summary>σ_t(η) = η·√((1−ᾱ_prev)/(1−ᾱ_t))·√(1−ᾱ_t/ᾱ_prev), formula (16).</summary>
    public double Sigma(int timestep, int previousTimestep)
    {
        double alphaBar = Schedule.AlphasCumprod[timestep], alphaBarPrev = AlphaCumprodAt(previousTimestep);
        return Eta * Math.Sqrt((1 - alphaBarPrev) / (1 - alphaBar) * (1 - alphaBar / alphaBarPrev));
    }

    /// <inheritdoc />
    public override SchedulerStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, Generator? generator = null)
    {
        IndexOfTimestep(timestep);
        using var scope = NewDisposeScope();
        int previous = PreviousTimestep(timestep);
        double alphaBarPrev = AlphaCumprodAt(previous);

        // 1. predicted x̂₀ and ε̂ ("predicted x_0" of formula (12))
        var (original, epsilon) = PredictOriginalAndNoise(modelOutput, sample, Schedule.AlphasCumprod[timestep]);
        // 2. σ_t(η), formula (16)
        double sigma = Sigma(timestep, previous);
        // 3. "direction pointing to x_t" of formula (12)
        var direction = Math.Sqrt(Math.Max(1 - alphaBarPrev - sigma * sigma, 0)) * epsilon;
        // 4. x_{t−1} without, then with, the random term of formula (12)
        var prev = Math.Sqrt(alphaBarPrev) * original + direction;
        if (sigma > 0) prev = prev + sigma * randn(sample.shape, dtype: sample.dtype, device: sample.device, generator: generator);
        return new SchedulerStepOutput(scope.MoveToOuter(prev), scope.MoveToOuter(original));
    }

    /// <summary>
    /// Deterministic DDIM inversion (η = 0 run backwards): from <paramref name="sample"/> at the inference
    /// timestep that follows <paramref name="timestep"/> (−1: the clean image) to the noisier level
    /// <paramref name="timestep"/>, given the model output for (sample, timestep). Exact inverse of
    /// <see cref="Step"/> with η = 0 when the model output is the same at both ends.
    /// </summary>
    public Tensor InvertStep(Tensor modelOutput, int timestep, Tensor sample)
    {
        IndexOfTimestep(timestep);
        using var scope = NewDisposeScope();
        double alphaBarFrom = AlphaCumprodAt(PreviousTimestep(timestep)), alphaBarTo = Schedule.AlphasCumprod[timestep];
        var (original, epsilon) = PredictOriginalAndNoiseAt(modelOutput, sample, alphaBarFrom, alphaBarTo);
        return scope.MoveToOuter(Math.Sqrt(alphaBarTo) * original + Math.Sqrt(1 - alphaBarTo) * epsilon);
    }

    // For inversion the model output is read at ᾱ_to (its timestep) but x̂₀ is recovered from the sample at ᾱ_from.
    private (Tensor original, Tensor epsilon) PredictOriginalAndNoiseAt(Tensor modelOutput, Tensor sample, double alphaBarFrom, double alphaBarTo)
    {
        // v and x₀ predictions are defined at the model's own timestep: read ε from them there.
        Tensor epsilon = Config.PredictionType == PredictionType.Epsilon
            ? modelOutput
            : PredictOriginalAndNoise(modelOutput, sample, alphaBarTo).epsilon;
        var original = (sample - Math.Sqrt(1 - alphaBarFrom) * epsilon) / Math.Sqrt(alphaBarFrom);
        return (original, epsilon);
    }
}
