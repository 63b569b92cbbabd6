using EdSam.Diffusion.Schedulers;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Models;

/// <summary>
/// A denoising network ε_θ(x_t, t, c): given a noisy sample, its training timesteps and an optional condition,
/// returns the model output that <see cref="DiffusionScheduler.Step"/> expects — ε, v or x₀ according to
/// <see cref="SchedulerConfig.PredictionType"/> of <see cref="Scheduler"/>. Any scheduler drives any denoiser.
/// </summary>
/// <remarks>
/// <see cref="Predict"/> does not switch gradients off: callers that back-propagate through sampling
/// (ED-SAM's guided mode) get a differentiable output; callers that only sample wrap the loop in
/// <c>torch.no_grad()</c> (as <see cref="Sampling.DiffusionSampler"/> does by default).
/// </remarks>
public interface IDenoiser
{
    /// <summary>The noise schedule the denoiser was trained with (its prediction type included).</summary>
    SchedulerConfig Scheduler { get; }

    /// <summary>Shape of one sample the denoiser works on, [channels, height, width] (latents for latent diffusion).</summary>
    IReadOnlyList<long> SampleShape { get; }

    /// <summary>Runs the network.</summary>
    /// <param name="noisySample">x_t, float [N, C, H, W] with [C, H, W] = <see cref="SampleShape"/>, in the model's value range ([−1, 1] for pixels).</param>
    /// <param name="timesteps">int64 [N] training timesteps in [0, T−1], one per sample (a scalar is broadcast to the batch).</param>
    /// <param name="condition">Class labels and/or text embeddings for the batch; null = unconditional (the null condition).</param>
    /// <returns>float [N, C, H, W]: ε, v or x₀ per <see cref="SchedulerConfig.PredictionType"/>. The caller owns it.</returns>
    /// <exception cref="ArgumentException">Shapes, dtypes or the condition do not match the model.</exception>
    Tensor Predict(Tensor noisySample, Tensor timesteps, DiffusionCondition? condition = null);
}
