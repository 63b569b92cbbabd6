using EdSam.Data;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>One adversarial sample made by <see cref="AdversarialDiffusionSampler"/>. Dispose to free the image.</summary>
/// <param name="Source">The source example it was transported from (caption, label, domain, key).</param>
/// <param name="SampleIndex">Which of the M samples of its source this is, in [0, M).</param>
/// <param name="Alpha">The shift α it was transported by, in [−ρ, ρ].</param>
/// <param name="Image">float32 [3, H, W] pixels in [0, 1] on the CPU.</param>
public sealed record AdversarialSample(Example Source, int SampleIndex, double Alpha, Tensor Image) : IDisposable
{
    /// <summary>Frees <see cref="Image"/>.</summary>
    public void Dispose() => Image.Dispose();
}
