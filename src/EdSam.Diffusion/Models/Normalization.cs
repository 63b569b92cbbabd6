using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Models;

/// <summary>Normalisation layers with PyTorch's initial values.</summary>
internal static class Normalization
{
    /// <summary>
    /// <c>GroupNorm</c> with γ = 1 and β = 0. TorchSharp 0.107's <c>nn.GroupNorm</c> leaves its affine parameters
    /// uninitialised (whatever the allocator returned — found as 1e-26 and NaN), so they are set here explicitly.
    /// </summary>
    public static GroupNorm GroupNorm(int groups, int channels, double eps)
    {
        var norm = nn.GroupNorm(groups, channels, eps);
        using (no_grad())
        {
            norm.weight!.fill_(1.0);
            norm.bias!.zero_();
        }
        return norm;
    }
}
