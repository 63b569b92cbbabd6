using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Diffusion.Models;

/// <summary>
/// Residual block of the DDPM/Stable-Diffusion UNet and VAE (diffusers' <c>ResnetBlock2D</c> key names):
/// GroupNorm → SiLU → 3×3 conv, + projected time embedding (added, or as a FiLM scale/shift after the second
/// norm — Dhariwal &amp; Nichol 2021), GroupNorm → SiLU → dropout → 3×3 conv, plus a 1×1 <c>conv_shortcut</c>
/// when the channel count changes.
/// </summary>
internal sealed class ResnetBlock2D : Module<Tensor, Tensor?, Tensor>
{
    private readonly GroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly Linear? time_emb_proj;
    private readonly GroupNorm norm2;
    private readonly Dropout dropout;
    private readonly Conv2d conv2;
    private readonly Conv2d? conv_shortcut;
    private readonly bool _scaleShift;

    // timeEmbeddingDim = 0 builds a block without a time embedding (the VAE's).
    public ResnetBlock2D(int inChannels, int outChannels, int groups, double eps, int timeEmbeddingDim = 0, double dropoutRate = 0, bool scaleShift = false)
        : base(nameof(ResnetBlock2D))
    {
        _scaleShift = scaleShift && timeEmbeddingDim > 0;
        norm1 = Normalization.GroupNorm(groups, inChannels, eps);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1);
        if (timeEmbeddingDim > 0) time_emb_proj = nn.Linear(timeEmbeddingDim, _scaleShift ? 2 * outChannels : outChannels);
        norm2 = Normalization.GroupNorm(groups, outChannels, eps);
        dropout = nn.Dropout(dropoutRate);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1);
        if (inChannels != outChannels) conv_shortcut = nn.Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
    }

    /// <param name="input">[N, C_in, H, W].</param>
    /// <param name="timeEmbedding">[N, D] or null (blocks built without a time embedding ignore it).</param>
    public override Tensor forward(Tensor input, Tensor? timeEmbedding)
    {
        using var scope = NewDisposeScope();
        var h = conv1.call(nn.functional.silu(norm1.call(input)));
        Tensor? scale = null, shift = null;
        if (time_emb_proj is not null && timeEmbedding is not null)
        {
            var projected = time_emb_proj.call(nn.functional.silu(timeEmbedding)).unsqueeze(-1).unsqueeze(-1);
            if (_scaleShift)
            {
                var parts = projected.chunk(2, 1);
                (scale, shift) = (parts[0], parts[1]);
            }
            else h = h + projected;
        }
        h = norm2.call(h);
        if (scale is not null) h = h * (1 + scale) + shift!;
        h = conv2.call(dropout.call(nn.functional.silu(h)));
        var skip = conv_shortcut is null ? input : conv_shortcut.call(input);
        return scope.MoveToOuter(skip + h);
    }
}
