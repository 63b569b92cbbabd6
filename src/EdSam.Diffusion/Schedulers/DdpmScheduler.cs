using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Schedulers;

/// <summary>
/// Ancestral sampling of Ho et al. (2020), "Denoising Diffusion Probabilistic Models": each step draws
/// x_{t−1} ~ q(x_{t−1} | x_t, x̂₀) with the posterior mean and variance of eqs. 6–7. With fewer inference steps
/// than training steps, β is taken between the two visited timesteps (1 − ᾱ_t/ᾱ_prev), as in diffusers.
/// </summary>
public sealed class DdpmScheduler : DiffusionScheduler
{
    /// <summary>Creates a DDPM sampler.</summary>
    public DdpmScheduler(SchedulerConfig? config = null) : base(config ?? new SchedulerConfig()) { }

    /// <summary>Posterior q(x_{t−1} | x_t, x₀) coefficients: (mean coefficient of x₀, of x_t, variance).</summary>
    public (double originalCoefficient, double sampleCoefficient, double variance) Posterior(int timestep, int previousTimestep)
    {
        // 1. ᾱ at both ends of the step, and the effective β/α between them
        double alphaBar = Schedule.AlphasCumprod[timestep];
        double alphaBarPrev = previousTimestep >= 0 ? Schedule.AlphasCumprod[previousTimestep] : 1.0;
        double alpha = alphaBar / alphaBarPrev, beta = 1 - alpha;
        // 2. posterior mean coefficients, formula (7)
        double originalCoefficient = Math.Sqrt(alphaBarPrev) * beta / (1 - alphaBar);
        double sampleCoefficient = Math.Sqrt(alpha) * (1 - alphaBarPrev) / (1 - alphaBar);
        // 3. posterior variance β̃_t, formula (7); floored so log/sqrt stay finite at t = 0
        double variance = Math.Max((1 - alphaBarPrev) / (1 - alphaBar) * beta, 1e-20);
        return (originalCoefficient, sampleCoefficient, variance);
    }

    /// <inheritdoc />
    public override SchedulerStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, Generator? generator = null)
    {
        IndexOfTimestep(timestep);
        using var scope = NewDisposeScope();
        int previous = PreviousTimestep(timestep);

        // 1. predict x̂₀ from the model output, formula (15)
        var (original, _) = PredictOriginalAndNoise(modelOutput, sample, Schedule.AlphasCumprod[timestep]);
        // 2. posterior mean μ̃_t(x_t, x̂₀), formula (7)
        var (a, b, variance) = Posterior(timestep, previous);
        var mean = a * original + b * sample;
        // 3. add σ_t z, except on the final step
        var prev = previous < 0 ? mean : mean + Math.Sqrt(variance) * GaussianNoise(sample, generator);
        return new SchedulerStepOutput(scope.MoveToOuter(prev), scope.MoveToOuter(original));
    }

    private static Tensor GaussianNoise(Tensor like, Generator? generator) =>
        randn(like.shape, dtype: like.dtype, device: like.device, generator: generator);
}
