using EdSam.Diffusion.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Diffusion.Autoencoders;

/// <summary>
/// The VAE encoder (diffusers' <c>Encoder</c> key names): <c>conv_in</c> → <c>down_blocks.{i}</c> (resnets, then a
/// stride-2 <c>downsamplers.0.conv</c> on all but the last level) → <c>mid_block</c> (resnet, attention, resnet) →
/// <c>conv_norm_out</c> → SiLU → <c>conv_out</c> to 2·latent channels (mean and log-variance).
/// </summary>
internal sealed class VaeEncoder : Module<Tensor, Tensor>
{
    internal const double Eps = 1e-6;

    private readonly Conv2d conv_in;
    private readonly ModuleList<DownBlock2D> down_blocks;
    private readonly MidBlock2D mid_block;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;

    public VaeEncoder(AutoencoderKLConfig config) : base(nameof(VaeEncoder))
    {
        var channels = config.BlockOutChannels;
        var settings = new ResnetSettings(config.NormNumGroups, Eps);
        conv_in = nn.Conv2d(config.InChannels, channels[0], 3, padding: 1);
        var blocks = new List<DownBlock2D>();
        for (int level = 0; level < channels.Count; level++)
            blocks.Add(new DownBlock2D(level == 0 ? channels[0] : channels[level - 1], channels[level], config.LayersPerBlock, settings,
                attentionHeads: 0, downsample: level < channels.Count - 1, symmetricDownsamplePadding: false));
        down_blocks = nn.ModuleList(blocks.ToArray());
        mid_block = new MidBlock2D(channels[^1], settings, attentionHeads: 1);
        conv_norm_out = Normalization.GroupNorm(config.NormNumGroups, channels[^1], Eps);
        conv_out = nn.Conv2d(channels[^1], 2 * config.LatentChannels, 3, padding: 1);
        RegisterComponents();
    }

    /// <param name="images">[N, C, H, W] in [−1, 1].</param>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var h = conv_in.call(images);
        foreach (var block in down_blocks) h = block.call(h, null);
        h = mid_block.call(h, null);
        return scope.MoveToOuter(conv_out.call(nn.functional.silu(conv_norm_out.call(h))));
    }
}
