using EdSam.Diffusion.Models;
using EdSam.Diffusion.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Sampling;

/// <summary>
/// Plain sampling loops over any <see cref="IDenoiser"/> and <see cref="DiffusionScheduler"/>: generation from
/// noise, denoising from an intermediate timestep, SDEdit reconstruction (Meng et al., 2022) and deterministic
/// DDIM inversion. Each step runs in its own dispose scope, so only the current sample is alive between steps.
/// </summary>
/// <remarks>
/// By default the loops run under <c>torch.no_grad()</c>; pass <c>differentiable: true</c> to keep the autograd
/// graph through every step (back-propagating through a short decode, as ED-SAM's guided mode does).
/// Samples are in the denoiser's value range ([−1, 1] for pixels; decode latents with an <c>IAutoencoder</c>).
/// </remarks>
public static class DiffusionSampler
{
    /// <summary>Generates samples from pure Gaussian noise with <paramref name="steps"/> scheduler steps.</summary>
    /// <param name="denoiser">The model (wrap it in <see cref="GuidedDenoiser"/> for classifier-free guidance).</param>
    /// <param name="scheduler">The sampler (DDPM, DDIM, …); its <c>SetTimesteps</c> is called here.</param>
    /// <param name="batchSize">Number of samples N.</param>
    /// <param name="condition">Condition for the N samples, or null.</param>
    /// <param name="steps">Number of inference steps.</param>
    /// <param name="generator">Random source for the initial noise and stochastic steps (null: the global generator).</param>
    /// <param name="device">Where the samples live; CPU when null.</param>
    /// <param name="differentiable">Keep gradients through the loop.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>float32 [N, <see cref="IDenoiser.SampleShape"/>]; the caller owns it.</returns>
    /// <exception cref="OperationCanceledException">Cancelled between steps.</exception>
    public static Tensor Sample(IDenoiser denoiser, DiffusionScheduler scheduler, long batchSize, DiffusionCondition? condition, int steps,
        Generator? generator = null, Device? device = null, bool differentiable = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        ArgumentNullException.ThrowIfNull(scheduler);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be ≥ 1");
        scheduler.SetTimesteps(steps);
        long[] shape = [batchSize, .. denoiser.SampleShape];
        using var noise = randn(shape, dtype: ScalarType.Float32, device: device ?? CPU, generator: generator);
        return Run(denoiser, scheduler, noise, scheduler.Timesteps, condition, generator, differentiable, cancellationToken);
    }

    /// <summary>
    /// Denoises <paramref name="noisySample"/>, taken to be at training timestep <paramref name="fromTimestep"/>, through
    /// every inference timestep at or below it (after <c>SetTimesteps(steps)</c>) down to the clean sample.
    /// </summary>
    /// <param name="denoiser">The model.</param>
    /// <param name="scheduler">The sampler.</param>
    /// <param name="noisySample">x_t, [N, SampleShape].</param>
    /// <param name="fromTimestep">The training timestep of <paramref name="noisySample"/>; should be one of the inference timesteps for an exact schedule.</param>
    /// <param name="steps">Inference steps of the full schedule (only those ≤ <paramref name="fromTimestep"/> run).</param>
    /// <param name="condition">Condition, or null.</param>
    /// <param name="generator">Random source for stochastic steps.</param>
    /// <param name="differentiable">Keep gradients through the loop.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>x₀ estimate, same shape as the input; the caller owns it.</returns>
    public static Tensor Denoise(IDenoiser denoiser, DiffusionScheduler scheduler, Tensor noisySample, int fromTimestep, int steps,
        DiffusionCondition? condition = null, Generator? generator = null, bool differentiable = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(noisySample);
        scheduler.SetTimesteps(steps);
        var remaining = scheduler.Timesteps.Where(t => t <= fromTimestep).ToList();
        return Run(denoiser, scheduler, noisySample, remaining, condition, generator, differentiable, cancellationToken);
    }

    /// <summary>
    /// SDEdit: noises a clean sample to the first inference timestep at or below <paramref name="startTimestep"/>
    /// with the forward process, then denoises it back. Small start timesteps keep the content; large ones
    /// re-imagine it.
    /// </summary>
    /// <param name="denoiser">The model.</param>
    /// <param name="scheduler">The sampler.</param>
    /// <param name="original">x₀ in the model's value range, [N, SampleShape].</param>
    /// <param name="startTimestep">Training timestep in [0, T−1] to noise to.</param>
    /// <param name="steps">Inference steps of the full schedule.</param>
    /// <param name="condition">Condition, or null.</param>
    /// <param name="generator">Random source for the noise and stochastic steps.</param>
    /// <param name="differentiable">Keep gradients through the loop.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>The reconstruction, same shape as <paramref name="original"/>; the caller owns it.</returns>
    public static Tensor Reconstruct(IDenoiser denoiser, DiffusionScheduler scheduler, Tensor original, int startTimestep, int steps,
        DiffusionCondition? condition = null, Generator? generator = null, bool differentiable = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(original);
        int trainSteps = scheduler.Config.NumTrainTimesteps;
        if (startTimestep < 0 || startTimestep >= trainSteps)
            throw new ArgumentOutOfRangeException(nameof(startTimestep), startTimestep, $"must lie in [0, {trainSteps - 1}]");
        scheduler.SetTimesteps(steps);
        var remaining = scheduler.Timesteps.Where(t => t <= startTimestep).ToList();
        if (remaining.Count == 0) return original.clone();
        using var gradients = differentiable ? enable_grad() : no_grad();
        using var noise = randn(original.shape, dtype: original.dtype, device: original.device, generator: generator);
        using var start = full(original.shape[0], remaining[0], dtype: ScalarType.Int64, device: original.device);
        using var noisy = scheduler.AddNoise(original, noise, start);
        return Run(denoiser, scheduler, noisy, remaining, condition, generator, differentiable, cancellationToken);
    }

    /// <summary>
    /// Deterministic DDIM inversion (Song et al. 2021, §4.3 / eq. 14 run backwards): encodes a clean sample into the
    /// noisy sample at the inference timestep that is the largest one ≤ <paramref name="endTimestep"/>, so that DDIM
    /// sampling with η = 0 from there (<see cref="Denoise"/>) returns (approximately) the original.
    /// </summary>
    /// <param name="denoiser">The model.</param>
    /// <param name="scheduler">A DDIM scheduler (η is ignored: inversion is always deterministic).</param>
    /// <param name="original">x₀, [N, SampleShape].</param>
    /// <param name="endTimestep">Training timestep to encode to (e.g. where ᾱ reaches ½, <see cref="NoiseSchedule.TimestepWhereAlphaCumprodReaches"/>).</param>
    /// <param name="steps">Inference steps of the full schedule.</param>
    /// <param name="condition">Condition, or null.</param>
    /// <param name="differentiable">Keep gradients through the loop.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>(The noisy latent, the timestep it is at); the caller owns the tensor.</returns>
    public static (Tensor NoisySample, int Timestep) Invert(IDenoiser denoiser, DdimScheduler scheduler, Tensor original, int endTimestep, int steps,
        DiffusionCondition? condition = null, bool differentiable = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(original);
        scheduler.SetTimesteps(steps);
        var visited = scheduler.Timesteps.Where(t => t <= endTimestep).Reverse().ToList();   // cleanest first
        if (visited.Count == 0) throw new ArgumentOutOfRangeException(nameof(endTimestep), endTimestep, $"below the smallest inference timestep ({scheduler.Timesteps[^1]})");
        // The model sees the cleaner sample with the noisier timestep (the usual DDIM-inversion approximation
        // ε(x_{t−Δ}, t) ≈ ε(x_t, t)), which is what InvertStep expects.
        var noisy = Loop(denoiser, original, visited, condition, scheduler.InvertStep, differentiable, cancellationToken);
        return (noisy, visited[^1]);
    }

    private static Tensor Run(IDenoiser denoiser, DiffusionScheduler scheduler, Tensor start, IReadOnlyList<int> timesteps,
        DiffusionCondition? condition, Generator? generator, bool differentiable, CancellationToken cancellationToken) =>
        Loop(denoiser, start, timesteps, condition, (output, timestep, sample) => scheduler.Step(output, timestep, sample, generator).PrevSample,
            differentiable, cancellationToken);

    // One model call and one update per timestep, each in its own dispose scope: only the current sample survives a step.
    private static Tensor Loop(IDenoiser denoiser, Tensor start, IReadOnlyList<int> timesteps, DiffusionCondition? condition,
        Func<Tensor, int, Tensor, Tensor> update, bool differentiable, CancellationToken cancellationToken)
    {
        using var gradients = differentiable ? enable_grad() : no_grad();
        var sample = start.alias();
        try
        {
            foreach (int timestep in timesteps)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                using var t = full(sample.shape[0], timestep, dtype: ScalarType.Int64, device: sample.device);
                var output = denoiser.Predict(sample, t, condition);
                var next = update(output, timestep, sample).MoveToOuterDisposeScope();
                sample.Dispose();
                sample = next;
            }
            return sample;
        }
        catch
        {
            sample.Dispose();
            throw;
        }
    }
}
