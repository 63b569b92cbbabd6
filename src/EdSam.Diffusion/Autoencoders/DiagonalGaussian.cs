using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Autoencoders;

/// <summary>
/// The VAE posterior q(z | x) = N(μ, diag(σ²)) (Kingma &amp; Welling, 2014), from the encoder's moments. Owns its tensors.
/// </summary>
public sealed class DiagonalGaussian : IDisposable
{
    /// <summary>Creates the distribution from the encoder's moments; log σ² is clamped to [−30, 20] as in latent diffusion.</summary>
    /// <param name="mean">μ, [N, L, h, w] (ownership passes to this object).</param>
    /// <param name="logVariance">log σ², same shape (ownership passes to this object).</param>
    public DiagonalGaussian(Tensor mean, Tensor logVariance)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(logVariance);
        Mean = mean;
        using (logVariance) LogVariance = logVariance.clamp(-30.0, 20.0);
    }

    /// <summary>μ, unscaled latents.</summary>
    public Tensor Mean { get; }

    /// <summary>log σ², clamped to [−30, 20].</summary>
    public Tensor LogVariance { get; }

    /// <summary>z = μ + σ·ε with ε ~ N(0, I) (reparameterised: differentiable in μ and σ).</summary>
    /// <param name="generator">Random source; null for the global generator.</param>
    /// <returns>A new tensor the caller owns.</returns>
    public Tensor Sample(Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        var noise = randn(Mean.shape, dtype: Mean.dtype, device: Mean.device, generator: generator);
        return scope.MoveToOuter(Mean + (0.5 * LogVariance).exp() * noise);
    }

    /// <summary>KL(q ‖ N(0, I)) per sample, summed over latent elements: ½·Σ(μ² + σ² − 1 − log σ²). Shape [N].</summary>
    public Tensor KlDivergence()
    {
        using var scope = NewDisposeScope();
        var perElement = 0.5 * (Mean.square() + LogVariance.exp() - 1 - LogVariance);
        return scope.MoveToOuter(perElement.flatten(1).sum(1));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Mean.Dispose();
        LogVariance.Dispose();
    }
}
