using EdSam.Diffusion.Autoencoders;
using EdSam.Diffusion.Models;
using EdSam.Diffusion.Sampling;
using EdSam.Diffusion.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>
/// ED-SAM's transport transformation (Truong et al. 2024, arXiv 2406.01432): an image is encoded to a latent z₀,
/// forward-diffused to the start step t₀ (where ᾱ = ½ by default), shifted by
/// <c>z* = (z + α·√2 + ε′)/√2</c> with α ~ U(−ρ, ρ) per sample and ε′ ~ N(0, I), then denoised back to an image by a
/// DDIM reverse run from t₀ conditioned on the image's own caption/class. The result is a sample from a distribution
/// shifted away from the source distribution by a bounded amount (see <see cref="ExpectedSquaredDisplacement"/>).
/// </summary>
/// <remarks>
/// <para><b>Wasserstein-2 bound.</b> The map z ↦ z* couples each z with its image, so W₂(P, P*) ≤ (E‖z − z*‖²)^{1/2}.
/// With z − z* = (1 − 1/√2)·z − α·1 − ε′/√2 and α, ε′ independent of z and of each other with zero mean, all cross
/// terms vanish and, for a latent of dimension d,
/// <c>E‖z − z*‖² = (1 − 1/√2)²·E‖z‖² + d·(ρ²/3 + ½)</c> (E[α²] = ρ²/3 for the uniform law). ρ enters only through
/// d·ρ²/3: coupling the ρ-transport with the ρ = 0 transport through the same z and ε′ gives
/// W₂(P*_ρ, P*_0) ≤ ρ·√(d/3) — ρ is the radius of the extra shift the adversarial samples may take.</para>
/// <para><b>Start step.</b> The reverse run uses <see cref="TransportOptions.SamplingSteps"/> DDIM timesteps at or below
/// the requested start step; as in diffusers' image-to-image pipelines, the start step is rounded down to the nearest
/// timestep of that DDIM grid (<see cref="StartTimestep"/> reports the one used) and the latent is noised to exactly it.</para>
/// <para><b>Determinism.</b> All draws come from the <see cref="Generator"/> passed in (ε, then α, then ε′, then the
/// DDIM noise when η &gt; 0), on the CPU, so a seed gives the same samples on every run.</para>
/// </remarks>
public sealed class TransportTransformation
{
    private static readonly double Sqrt2 = Math.Sqrt(2);
    private readonly IDenoiser _denoiser;
    private readonly IAutoencoder _autoencoder;
    private readonly int[] _samplingTimesteps;
    private readonly int _gridSteps;

    /// <summary>Creates the transformation for a pixel-space denoiser (<see cref="IdentityAutoencoder"/>: images are mapped to [−1, 1]).</summary>
    /// <param name="denoiser">The diffusion model, conditional on class labels and/or text embeddings.</param>
    /// <param name="options">The options; <see cref="TransportOptions"/> defaults when null.</param>
    /// <param name="guidance">The CLIP loss for <see cref="TransportOptions.Guided"/> mode; required when it is set.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    /// <exception cref="ArgumentException">Guided mode without <paramref name="guidance"/>, or a start step outside the schedule.</exception>
    public TransportTransformation(IDenoiser denoiser, TransportOptions? options = null, ClipGuidance? guidance = null)
        : this(denoiser, new IdentityAutoencoder(), options, guidance)
    {
    }

    /// <summary>Creates the transformation for a latent (or pixel) denoiser behind an autoencoder.</summary>
    /// <param name="denoiser">The diffusion model working on <paramref name="autoencoder"/>'s latents.</param>
    /// <param name="autoencoder">Maps [0, 1] images to the denoiser's space and back (a VAE, or <see cref="IdentityAutoencoder"/>).</param>
    /// <param name="options">The options; <see cref="TransportOptions"/> defaults when null.</param>
    /// <param name="guidance">The CLIP loss for <see cref="TransportOptions.Guided"/> mode; required when it is set.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    /// <exception cref="ArgumentException">Guided mode without <paramref name="guidance"/>, or a start step outside the schedule.</exception>
    public TransportTransformation(IDenoiser denoiser, IAutoencoder autoencoder, TransportOptions? options = null, ClipGuidance? guidance = null)
    {
        ArgumentNullException.ThrowIfNull(denoiser);
        ArgumentNullException.ThrowIfNull(autoencoder);
        Options = (options ?? new TransportOptions()).Validate();
        if (Options.Guided && guidance is null)
            throw new ArgumentException("TransportOptions.Guided is set but no ClipGuidance was given: guided mode maximises a CLIP loss.", nameof(guidance));
        // Classifier-free guidance towards the image's own condition; scale 1 is the plain conditional model (one call).
        _denoiser = Options.GuidanceScale == 1.0 ? denoiser : new GuidedDenoiser(denoiser, Options.GuidanceScale);
        _autoencoder = autoencoder;
        Guidance = guidance;
        Scheduler = new DdimScheduler(denoiser.Scheduler, Options.Eta);

        var schedule = Scheduler.Schedule;
        int requested = Options.StartTimestep ?? schedule.TimestepWhereAlphaCumprodReaches(Options.StartAlphaCumprod);
        if (requested >= schedule.Length)
            throw new ArgumentException($"TransportOptions.StartTimestep {requested} is outside the denoiser's schedule [0, {schedule.Length - 1}].", nameof(options));
        (_gridSteps, _samplingTimesteps) = ChooseGrid(Scheduler, requested, Options.SamplingSteps);
        StartTimestep = _samplingTimesteps[0];
    }

    /// <summary>The options in use (validated).</summary>
    public TransportOptions Options { get; }

    /// <summary>The guidance of guided mode, or null.</summary>
    public ClipGuidance? Guidance { get; }

    /// <summary>The DDIM sampler of the reverse run (timesteps set to the grid chosen at construction).</summary>
    internal DdimScheduler Scheduler { get; }

    /// <summary>The training timestep t₀ the latent is diffused to and the reverse run starts from.</summary>
    public int StartTimestep { get; }

    /// <summary>Side of the square images the transformation takes and returns, in pixels.</summary>
    public int ImageSize => (int)_denoiser.SampleShape[^1] * _autoencoder.DownscaleFactor;

    /// <summary>The autoencoder between images and the denoiser's space.</summary>
    public IAutoencoder Autoencoder => _autoencoder;

    /// <summary>Shape of one latent, [C, h, w] (<see cref="IDenoiser.SampleShape"/>).</summary>
    public IReadOnlyList<long> LatentShape => _denoiser.SampleShape;

    /// <summary>ᾱ at <see cref="StartTimestep"/>.</summary>
    public double StartAlphaCumprod => Scheduler.Schedule.AlphasCumprod[StartTimestep];

    /// <summary>The reverse-run timesteps, from <see cref="StartTimestep"/> down to the cleanest.</summary>
    public IReadOnlyList<int> SamplingTimesteps => _samplingTimesteps;

    /// <summary>The paper's shift: <c>z* = (z + α·√2 + ε′)/√2</c>, α broadcast over every latent element of its sample.</summary>
    /// <param name="latents">z, float [N, …].</param>
    /// <param name="alpha">α, float [N].</param>
    /// <param name="noise">ε′, same shape as <paramref name="latents"/>.</param>
    /// <returns>z*, owned by the caller (differentiable in all three inputs).</returns>
    public static Tensor Shift(Tensor latents, Tensor alpha, Tensor noise)
    {
        ArgumentNullException.ThrowIfNull(latents);
        ArgumentNullException.ThrowIfNull(alpha);
        ArgumentNullException.ThrowIfNull(noise);
        if (alpha.dim() != 1 || alpha.shape[0] != latents.shape[0])
            throw new ArgumentException($"alpha must be [N] with N = {latents.shape[0]}; got [{string.Join(",", alpha.shape)}].", nameof(alpha));
        using var scope = NewDisposeScope();
        var shape = new long[latents.dim()];
        Array.Fill(shape, 1L);
        shape[0] = latents.shape[0];
        return scope.MoveToOuter((latents + alpha.view(shape) * Sqrt2 + noise) / Sqrt2);
    }

    /// <summary>Closed form of E‖z − z*‖² = (1 − 1/√2)²·E‖z‖² + d·(ρ²/3 + ½) for the shift of <see cref="Shift"/>.</summary>
    /// <param name="rho">ρ ≥ 0.</param>
    /// <param name="dimension">d, the number of elements of one latent.</param>
    /// <param name="meanSquaredNorm">E‖z‖² of the latents being shifted.</param>
    public static double ExpectedSquaredDisplacement(double rho, long dimension, double meanSquaredNorm)
    {
        double keep = 1 - 1 / Sqrt2;
        return keep * keep * meanSquaredNorm + dimension * (rho * rho / 3 + 0.5);
    }

    /// <summary>The bound W₂(P, P*) ≤ (E‖z − z*‖²)^{1/2} between the source and shifted latent distributions.</summary>
    /// <param name="rho">ρ ≥ 0.</param>
    /// <param name="dimension">d.</param>
    /// <param name="meanSquaredNorm">E‖z‖².</param>
    public static double WassersteinBound(double rho, long dimension, double meanSquaredNorm) =>
        Math.Sqrt(ExpectedSquaredDisplacement(rho, dimension, meanSquaredNorm));

    /// <summary>Encodes images to latents z₀ (pixels in [0, 1] → the denoiser's space).</summary>
    /// <param name="images">float [N, 3, H, W] in [0, 1].</param>
    /// <returns>z₀, owned by the caller.</returns>
    public Tensor Encode(Tensor images) => _autoencoder.Encode(images);

    /// <summary>
    /// Draws M = <see cref="TransportOptions.SamplesPerImage"/> adversarial samples per image.
    /// </summary>
    /// <param name="images">float [N, 3, H, W] pixels in [0, 1], of the size the denoiser works on.</param>
    /// <param name="condition">Each image's own class/caption condition ([N] rows), or null for unconditional.</param>
    /// <param name="generator">The random source (a CPU generator).</param>
    /// <param name="captions">The N captions; required in guided mode (the CLIP loss pairs samples with them).</param>
    /// <returns>N·M samples, image-major (row i·M + m is sample m of image i), with their α.</returns>
    public TransportResult Transform(Tensor images, DiffusionCondition? condition, Generator generator, IReadOnlyList<string>? captions = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(generator);
        using var scope = NewDisposeScope();
        var latents = EncodeReplicated(images);
        using var noise = TransportNoise.Draw(latents.shape, Options.Rho, generator, latents.device);
        var result = Run(latents, condition, noise, generator, captions);
        return result.MoveTo(scope);
    }

    /// <summary>
    /// As <see cref="Transform(Tensor, DiffusionCondition?, Generator, IReadOnlyList{string}?)"/> with given draws (ρ is
    /// taken from <paramref name="noise"/>'s α, not re-drawn): lets a run be reproduced or compared with SDEdit.
    /// </summary>
    /// <param name="images">float [N, 3, H, W] pixels in [0, 1].</param>
    /// <param name="condition">[N] condition rows or null.</param>
    /// <param name="noise">Draws for N·M latents (see <see cref="TransportNoise.Draw"/>).</param>
    /// <param name="generator">Source of the DDIM noise when η &gt; 0; may be null when η = 0.</param>
    /// <param name="captions">The N captions (guided mode).</param>
    /// <returns>The N·M samples and their α.</returns>
    public TransportResult Transform(Tensor images, DiffusionCondition? condition, TransportNoise noise, Generator? generator = null, IReadOnlyList<string>? captions = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(noise);
        using var scope = NewDisposeScope();
        var latents = EncodeReplicated(images);
        var result = Run(latents, condition, noise, generator, captions);
        return result.MoveTo(scope);
    }

    /// <summary>z = √ᾱ_{t₀}·z₀ + √(1−ᾱ_{t₀})·ε at the start step (Ho et al. eq. 4).</summary>
    /// <param name="latents">z₀, [N, …].</param>
    /// <param name="noise">ε, same shape.</param>
    /// <returns>z, owned by the caller.</returns>
    public Tensor Diffuse(Tensor latents, Tensor noise)
    {
        using var scope = NewDisposeScope();
        var steps = full(latents.shape[0], (long)StartTimestep, dtype: ScalarType.Int64, device: latents.device);
        return scope.MoveToOuter(Scheduler.AddNoise(latents, noise, steps));
    }

    /// <summary>The DDIM reverse run from <see cref="StartTimestep"/> to a clean latent, then the decode to pixels in [0, 1].</summary>
    /// <param name="latents">Latents at the start step, [N, …].</param>
    /// <param name="condition">[N] condition rows or null.</param>
    /// <param name="generator">DDIM noise source when η &gt; 0.</param>
    /// <returns>float [N, 3, H, W] in [0, 1], owned by the caller.</returns>
    public Tensor Denoise(Tensor latents, DiffusionCondition? condition, Generator? generator = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var clean = DiffusionSampler.Denoise(_denoiser, Scheduler, latents, StartTimestep, _gridSteps, condition, generator);
        return scope.MoveToOuter(_autoencoder.Decode(clean).clamp(0, 1));
    }

    private Tensor EncodeReplicated(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"images must be [N, 3, H, W] pixels in [0, 1]; got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var latents = _autoencoder.Encode(images);
        var expected = _denoiser.SampleShape;
        if (!latents.shape.Skip(1).SequenceEqual(expected))
            throw new ArgumentException(
                $"images encode to latents [{string.Join(", ", latents.shape.Skip(1))}] but the denoiser works on [{string.Join(", ", expected)}]; resize the images to the denoiser's size.",
                nameof(images));
        return scope.MoveToOuter(latents.repeat_interleave(Options.SamplesPerImage, dim: 0));
    }

    private TransportResult Run(Tensor latents, DiffusionCondition? condition, TransportNoise noise, Generator? generator, IReadOnlyList<string>? captions)
    {
        if (!noise.ForwardNoise.shape.SequenceEqual(latents.shape) || !noise.ShiftNoise.shape.SequenceEqual(latents.shape) || noise.Alpha.shape[0] != latents.shape[0])
            throw new ArgumentException($"The noise draws do not match the {latents.shape[0]} replicated latents [{string.Join(", ", latents.shape)}].", nameof(noise));
        int m = Options.SamplesPerImage;
        var replicated = Replicate(condition, m, latents.shape[0]);
        var diffused = Diffuse(latents, noise.ForwardNoise.to(latents.dtype));

        var alpha = noise.Alpha.to(latents.dtype);
        if (Options.Guided)
        {
            if (captions is null || captions.Count * m != latents.shape[0])
                throw new ArgumentException($"Guided mode needs the {latents.shape[0] / m} captions of the images.", nameof(captions));
            alpha = GuidedAlphaSearch.Run(this, diffused, alpha, noise.ShiftNoise.to(latents.dtype), replicated, captions);
        }
        var shifted = Shift(diffused, alpha, noise.ShiftNoise.to(latents.dtype));
        var images = Denoise(shifted, replicated, generator);
        return new TransportResult(images, alpha.detach().clone());
    }

    /// <summary>The short differentiable decode of guided mode: the first <paramref name="steps"/> DDIM steps from the
    /// start step, returning the last step's x̂₀ prediction rather than its x_{t−1}, so that a 1–2 step decode still
    /// ends at a clean estimate. Gradients flow when the caller enables them.</summary>
    internal Tensor ShortDecode(Tensor latents, DiffusionCondition? condition, int steps)
    {
        Scheduler.SetTimesteps(_gridSteps);
        var sample = latents;
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            int t = _samplingTimesteps[i];
            using var timesteps = full(sample.shape[0], (long)t, dtype: ScalarType.Int64, device: sample.device);
            var step = Scheduler.Step(_denoiser.Predict(sample, timesteps, condition), t, sample);
            sample = scope.MoveToOuter(i == steps - 1 ? step.PredOriginalSample : step.PrevSample);
        }
        return sample;
    }

    // Unclamped, so the guidance gradient is not cut at saturated pixels.
    internal Tensor DecodeLatents(Tensor latents) => _autoencoder.Decode(latents);

    internal static DiffusionCondition? Replicate(DiffusionCondition? condition, int times, long rows)
    {
        if (condition is null || condition.BatchSize is null) return null;
        if (condition.BatchSize * times != rows)
            throw new ArgumentException($"The condition has {condition.BatchSize} rows but there are {rows / times} images.", nameof(condition));
        return new DiffusionCondition(
            condition.ClassLabels?.repeat_interleave(times, dim: 0),
            condition.TextEmbeddings?.repeat_interleave(times, dim: 0));
    }

    // The coarsest DDIM grid with at least `steps` timesteps at or below `requested`; the reverse run takes those.
    private static (int gridSteps, int[] timesteps) ChooseGrid(DdimScheduler scheduler, int requested, int steps)
    {
        int trainSteps = scheduler.Schedule.Length;
        for (int n = Math.Min(steps, trainSteps); n <= trainSteps; n++)
        {
            scheduler.SetTimesteps(n);
            var tail = scheduler.Timesteps.Where(t => t <= requested).ToArray();
            if (tail.Length >= steps || (n == trainSteps && tail.Length > 0)) return (n, tail);
        }
        throw new ArgumentException($"No DDIM timestep lies at or below the start step {requested} (StepsOffset {scheduler.Config.StepsOffset}); choose a later start step.");
    }
}
