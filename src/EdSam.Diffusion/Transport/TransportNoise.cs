using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>
/// The random draws of one <see cref="TransportTransformation"/> run over a batch of N·M latents: the forward-diffusion
/// noise ε, the per-sample shift α ~ U(−ρ, ρ) and the transport noise ε′ of z* = (z + α√2 + ε′)/√2. Drawing them
/// separately makes a run reproducible from its parts (and lets ρ = 0 be compared with a plain SDEdit run that uses
/// the same ε and ε′). It owns its tensors: dispose it to free them (a class, not a record, so no <c>with</c> copy can
/// share them with a second owner).
/// </summary>
/// <param name="forwardNoise">ε, float [N·M, C, h, w]: z = √ᾱ·z₀ + √(1−ᾱ)·ε.</param>
/// <param name="alpha">α, float [N·M], one scalar per sample in [−ρ, ρ], broadcast over the latent.</param>
/// <param name="shiftNoise">ε′, float [N·M, C, h, w].</param>
public sealed class TransportNoise(Tensor forwardNoise, Tensor alpha, Tensor shiftNoise) : IDisposable
{
    /// <summary>ε, float [N·M, C, h, w]: z = √ᾱ·z₀ + √(1−ᾱ)·ε.</summary>
    public Tensor ForwardNoise { get; } = forwardNoise;

    /// <summary>α, float [N·M], one scalar per sample in [−ρ, ρ], broadcast over the latent.</summary>
    public Tensor Alpha { get; } = alpha;

    /// <summary>ε′, float [N·M, C, h, w].</summary>
    public Tensor ShiftNoise { get; } = shiftNoise;

    /// <summary>Draws ε, then α, then ε′ (in that order) from <paramref name="generator"/>.</summary>
    /// <param name="latentShape">[N·M, C, h, w].</param>
    /// <param name="rho">ρ ≥ 0: α ~ U(−ρ, ρ).</param>
    /// <param name="generator">The random source (CPU generator; draws are moved to <paramref name="device"/>).</param>
    /// <param name="device">Where the tensors live; CPU when null.</param>
    /// <returns>The draws, float32, owned by the caller.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rho"/> is negative or not finite.</exception>
    public static TransportNoise Draw(long[] latentShape, double rho, Generator generator, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(latentShape);
        ArgumentNullException.ThrowIfNull(generator);
        if (!double.IsFinite(rho) || rho < 0) throw new ArgumentOutOfRangeException(nameof(rho), rho, "ρ must be finite and ≥ 0");
        if (latentShape.Length < 2) throw new ArgumentException($"latentShape must be [N, …], got [{string.Join(",", latentShape)}]", nameof(latentShape));
        // Drawn on the CPU from a CPU generator so a seed gives the same numbers whatever the device.
        var forward = randn(latentShape, generator: generator);
        var alpha = rand(latentShape[0], generator: generator).mul_(2 * rho).sub_(rho);
        var transport = randn(latentShape, generator: generator);
        if (device is not null && device.type != DeviceType.CPU)
            return new TransportNoise(MoveTo(forward, device), MoveTo(alpha, device), MoveTo(transport, device));
        return new TransportNoise(forward, alpha, transport);
    }

    /// <summary>Frees the three tensors.</summary>
    public void Dispose()
    {
        ForwardNoise.Dispose();
        Alpha.Dispose();
        ShiftNoise.Dispose();
    }

    private static Tensor MoveTo(Tensor cpu, Device device)
    {
        using (cpu) return cpu.to(device);
    }
}
