using EdSam.Diffusion.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Diffusion.Autoencoders;

/// <summary>
/// The VAE decoder (diffusers' <c>Decoder</c> key names): <c>conv_in</c> → <c>mid_block</c> → <c>up_blocks.{i}</c>
/// (lowest resolution first; LayersPerBlock + 1 resnets, then <c>upsamplers.0.conv</c> on all but the last) →
/// <c>conv_norm_out</c> → SiLU → <c>conv_out</c>.
/// </summary>
internal sealed class VaeDecoder : Module<Tensor, Tensor>
{
    private readonly Conv2d conv_in;
    private readonly MidBlock2D mid_block;
    private readonly ModuleList<UpBlock2D> up_blocks;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;

    public VaeDecoder(AutoencoderKLConfig config) : base(nameof(VaeDecoder))
    {
        var reversed = config.BlockOutChannels.Reverse().ToArray();
        var settings = new ResnetSettings(config.NormNumGroups, VaeEncoder.Eps);
        conv_in = nn.Conv2d(config.LatentChannels, reversed[0], 3, padding: 1);
        mid_block = new MidBlock2D(reversed[0], settings, attentionHeads: 1);
        var blocks = new List<UpBlock2D>();
        for (int i = 0; i < reversed.Length; i++)
            blocks.Add(new UpBlock2D(i == 0 ? reversed[0] : reversed[i - 1], reversed[i], config.LayersPerBlock + 1, skipChannels: null, settings,
                attentionHeads: 0, upsample: i < reversed.Length - 1));
        up_blocks = nn.ModuleList(blocks.ToArray());
        conv_norm_out = Normalization.GroupNorm(config.NormNumGroups, reversed[^1], VaeEncoder.Eps);
        conv_out = nn.Conv2d(reversed[^1], config.OutChannels, 3, padding: 1);
        RegisterComponents();
    }

    /// <param name="latents">[N, L, h, w], unscaled.</param>
    public override Tensor forward(Tensor latents)
    {
        using var scope = NewDisposeScope();
        var h = conv_in.call(latents);
        h = mid_block.call(h, null);
        foreach (var block in up_blocks) h = block.call(h, null);
        return scope.MoveToOuter(conv_out.call(nn.functional.silu(conv_norm_out.call(h))));
    }
}
