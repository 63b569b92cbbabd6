using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>The output of <see cref="TransportTransformation.Transform(Tensor, Models.DiffusionCondition?, TorchSharp.torch.Generator, IReadOnlyList{string}?)"/>.
/// It owns its tensors: dispose it to free them. (A class, not a record: a <c>with</c> copy would share tensors with two owners.)</summary>
/// <param name="images">float [N·M, 3, H, W] pixels in [0, 1]; row i·M + m is sample m of source image i.</param>
/// <param name="alpha">float [N·M]: the shift α each sample was transported by, in [−ρ, ρ].</param>
public sealed class TransportResult(Tensor images, Tensor alpha) : IDisposable
{
    /// <summary>float [N·M, 3, H, W] pixels in [0, 1]; row i·M + m is sample m of source image i.</summary>
    public Tensor Images { get; } = images;

    /// <summary>float [N·M]: the shift α each sample was transported by, in [−ρ, ρ].</summary>
    public Tensor Alpha { get; } = alpha;

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Alpha.Dispose();
    }

    internal TransportResult MoveTo(DisposeScope scope) => new(scope.MoveToOuter(Images), scope.MoveToOuter(Alpha));
}
