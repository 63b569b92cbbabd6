using EdSam.Diffusion.Models;
using System.ComponentModel.DataAnnotations;

namespace EdSam.Diffusion.Transport;

/// <summary>
/// Options of <see cref="TransportTransformation"/>: how deep to encode, how far to shift, how to decode. The
/// defaults are those of ED-SAM (Truong et al. 2024, arXiv 2406.01432): M = 10 samples per image, ρ = 0.5, encoding
/// to the step where ᾱ_t = ½.
/// </summary>
public sealed record TransportOptions
{
    /// <summary>M: how many adversarial samples are drawn per source image.</summary>
    /// <value>The default value is 10 (the paper).</value>
    [Range(1, 10_000)]
    public int SamplesPerImage { get; init; } = 10;

    /// <summary>ρ: the shift α is drawn from U(−ρ, ρ) (or, in guided mode, searched in [−ρ, ρ]), in latent units.</summary>
    /// <value>The default value is 0.5 (the paper's best).</value>
    [Range(0.0, 100.0)]
    public double Rho { get; init; } = 0.5;

    /// <summary>The noise level the latent is forward-diffused to, as ᾱ; the start step is the first training timestep
    /// whose ᾱ_t is at or below it (<c>NoiseSchedule.TimestepWhereAlphaCumprodReaches</c>). Ignored when
    /// <see cref="StartTimestep"/> is set.</summary>
    /// <value>The default value is 0.5 (the paper).</value>
    [Range(1e-6, 0.999999)]
    public double StartAlphaCumprod { get; init; } = 0.5;

    /// <summary>An explicit start training timestep, overriding <see cref="StartAlphaCumprod"/>; null to derive it.</summary>
    /// <value>The default value is null.</value>
    [Range(0, 100_000)]
    public int? StartTimestep { get; init; }

    /// <summary>Number of reverse (DDIM) steps from the start step down to a clean sample.</summary>
    /// <value>The default value is 10.</value>
    [Range(1, 1000)]
    public int SamplingSteps { get; init; } = 10;

    /// <summary>DDIM η of the reverse sampler (0 = deterministic given the transported latent).</summary>
    /// <value>The default value is 0.</value>
    [Range(0.0, 1.0)]
    public double Eta { get; init; }

    /// <summary>Classifier-free guidance scale towards the image's own caption/class (1 = plain conditional, no extra
    /// denoiser call; 0 = unconditional).</summary>
    /// <value>The default value is 1.</value>
    [Range(0.0, 100.0)]
    public double GuidanceScale { get; init; } = 1.0;

    /// <summary>Seed of <see cref="AdversarialDiffusionSampler"/>'s per-example generators (ε, α, ε′, DDIM noise): the same
    /// seed gives the same samples on CPU. <c>TransportTransformation.Transform</c> itself draws from the generator it is given.</summary>
    /// <value>The default value is 0.</value>
    public long Seed { get; init; }

    /// <summary>Opt-in EdSam extension (not in the paper): choose α per sample by projected gradient ascent on the CLIP
    /// contrastive loss instead of drawing it at random. Needs a <see cref="ClipGuidance"/>.</summary>
    /// <value>The default value is false (the paper's random α).</value>
    public bool Guided { get; init; }

    /// <summary>Guided mode: number of projected gradient-ascent steps on α.</summary>
    /// <value>The default value is 3.</value>
    [Range(1, 100)]
    public int GuidedSteps { get; init; } = 3;

    /// <summary>Guided mode: step length of each ascent step as a fraction of ρ (α ← clamp(α + size·ρ·sign(∂L/∂α), −ρ, ρ)).</summary>
    /// <value>The default value is 0.5.</value>
    [Range(1e-6, 10.0)]
    public double GuidedStepSize { get; init; } = 0.5;

    /// <summary>Guided mode: DDIM steps of the short differentiable decode the gradient flows through.</summary>
    /// <value>The default value is 2.</value>
    [Range(1, 50)]
    public int GuidedDecodeSteps { get; init; } = 2;

    /// <summary>Throws one <see cref="OptionsValidationException"/> listing every invalid property.</summary>
    /// <returns>This instance, for chaining.</returns>
    /// <exception cref="OptionsValidationException">One or more options are out of range; the message lists each.</exception>
    public TransportOptions Validate()
    {
        var messages = RecordValidation.AttributeErrors(this);
        if (double.IsNaN(Rho)) messages.Add("The field Rho must be a number (was NaN).");
        return RecordValidation.ThrowIfAny(this, messages);
    }
}
