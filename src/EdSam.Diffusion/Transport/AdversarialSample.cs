using EdSam.Data;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>One adversarial sample made by <see cref="AdversarialDiffusionSampler"/>. It owns its image: dispose it to
/// free the tensor (a class, not a record, so no <c>with</c> copy can share it with a second owner).</summary>
/// <param name="source">The source example it was transported from (caption, label, domain, key).</param>
/// <param name="sampleIndex">Which of the M samples of its source this is, in [0, M).</param>
/// <param name="alpha">The shift α it was transported by, in [−ρ, ρ].</param>
/// <param name="image">float32 [3, H, W] pixels in [0, 1] on the CPU.</param>
public sealed class AdversarialSample(Example source, int sampleIndex, double alpha, Tensor image) : IDisposable
{
    /// <summary>The source example it was transported from (caption, label, domain, key).</summary>
    public Example Source { get; } = source;

    /// <summary>Which of the M samples of its source this is, in [0, M).</summary>
    public int SampleIndex { get; } = sampleIndex;

    /// <summary>The shift α it was transported by, in [−ρ, ρ].</summary>
    public double Alpha { get; } = alpha;

    /// <summary>float32 [3, H, W] pixels in [0, 1] on the CPU.</summary>
    public Tensor Image { get; } = image;

    /// <summary>Frees <see cref="Image"/>.</summary>
    public void Dispose() => Image.Dispose();
}
