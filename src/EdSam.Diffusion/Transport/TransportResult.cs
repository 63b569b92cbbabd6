using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>The output of <see cref="TransportTransformation.Transform(Tensor, Models.DiffusionCondition?, TorchSharp.torch.Generator, IReadOnlyList{string}?)"/>. Dispose to free the tensors.</summary>
/// <param name="Images">float [N·M, 3, H, W] pixels in [0, 1]; row i·M + m is sample m of source image i.</param>
/// <param name="Alpha">float [N·M]: the shift α each sample was transported by, in [−ρ, ρ].</param>
public sealed record TransportResult(Tensor Images, Tensor Alpha) : IDisposable
{
    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Alpha.Dispose();
    }

    internal TransportResult MoveTo(DisposeScope scope) => new(scope.MoveToOuter(Images), scope.MoveToOuter(Alpha));
}
