using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Diffusion.Models;

/// <summary>
/// One decoder level: <c>resnets.{j}</c> (each optionally followed by <c>attentions.{j}</c>), then an optional
/// <c>upsamplers.0</c>. In the UNet every resnet first concatenates the matching encoder skip on the channel axis;
/// the VAE decoder (diffusers' <c>UpDecoderBlock2D</c>) has no skips.
/// </summary>
internal sealed class UpBlock2D : Module<Tensor, Tensor?, Tensor>
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<SelfAttention2D> attentions;
    private readonly ModuleList<Upsample2D> upsamplers;

    // skipChannels: channels of the skip each resnet consumes (one per resnet), or null for no skips (the VAE decoder).
    public UpBlock2D(int inChannels, int outChannels, int layers, IReadOnlyList<int>? skipChannels, ResnetSettings settings, int attentionHeads, bool upsample)
        : base(nameof(UpBlock2D))
    {
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, "a level needs at least one residual block");
        if (skipChannels is not null && skipChannels.Count != layers) throw new ArgumentException("one skip per resnet is needed", nameof(skipChannels));
        resnets = nn.ModuleList(Enumerable.Range(0, layers)
            .Select(j => settings.Create((j == 0 ? inChannels : outChannels) + (skipChannels?[j] ?? 0), outChannels)).ToArray());
        attentions = nn.ModuleList(attentionHeads > 0
            ? Enumerable.Range(0, layers).Select(_ => new SelfAttention2D(outChannels, attentionHeads, settings.Groups, settings.Eps)).ToArray()
            : Array.Empty<SelfAttention2D>());
        upsamplers = nn.ModuleList(upsample ? new[] { new Upsample2D(outChannels) } : Array.Empty<Upsample2D>());
        RegisterComponents();
    }

    public override Tensor forward(Tensor input, Tensor? timeEmbedding) => Run(input, timeEmbedding, skips: null);

    /// <summary>Runs the level, taking one skip per resnet from the end of <paramref name="skips"/> (removed from the list, not disposed).</summary>
    public Tensor Run(Tensor input, Tensor? timeEmbedding, List<Tensor>? skips)
    {
        using var scope = NewDisposeScope();
        var h = input;
        for (int j = 0; j < resnets.Count; j++)
        {
            if (skips is not null)
            {
                var skip = skips[^1];
                skips.RemoveAt(skips.Count - 1);
                h = cat(new[] { h, skip }, 1);
            }
            h = resnets[j].call(h, timeEmbedding);
            if (attentions.Count > 0) h = attentions[j].call(h);
        }
        if (upsamplers.Count > 0) h = upsamplers[0].call(h);
        return scope.MoveToOuter(h);
    }
}
