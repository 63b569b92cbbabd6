using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Diffusion.Models;

/// <summary>
/// One encoder level: <c>resnets.{j}</c> (each optionally followed by <c>attentions.{j}</c>), then an optional
/// <c>downsamplers.0</c>. Serves the UNet (with time embedding and skip outputs) and the VAE encoder
/// (diffusers' <c>DownEncoderBlock2D</c>: no time embedding, no attention, asymmetric downsampling padding).
/// </summary>
internal sealed class DownBlock2D : Module<Tensor, Tensor?, Tensor>
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<SelfAttention2D> attentions;
    private readonly ModuleList<Downsample2D> downsamplers;

    public DownBlock2D(int inChannels, int outChannels, int layers, ResnetSettings settings, int attentionHeads, bool downsample, bool symmetricDownsamplePadding = true)
        : base(nameof(DownBlock2D))
    {
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, "a level needs at least one residual block");
        resnets = nn.ModuleList(Enumerable.Range(0, layers).Select(j => settings.Create(j == 0 ? inChannels : outChannels, outChannels)).ToArray());
        attentions = nn.ModuleList(attentionHeads > 0
            ? Enumerable.Range(0, layers).Select(_ => new SelfAttention2D(outChannels, attentionHeads, settings.Groups, settings.Eps)).ToArray()
            : Array.Empty<SelfAttention2D>());
        downsamplers = nn.ModuleList(downsample ? new[] { new Downsample2D(outChannels, symmetricDownsamplePadding) } : Array.Empty<Downsample2D>());
        RegisterComponents();
    }

    /// <summary>Output channel counts of the tensors <see cref="Run"/> appends to its skip list, in order.</summary>
    public IEnumerable<int> SkipChannels(int outChannels) => Enumerable.Repeat(outChannels, resnets.Count + downsamplers.Count);

    public override Tensor forward(Tensor input, Tensor? timeEmbedding) => Run(input, timeEmbedding, skips: null);

    /// <summary>Runs the level; when <paramref name="skips"/> is given, every resnet/attention output and the downsampled output are appended to it (the caller disposes them).</summary>
    public Tensor Run(Tensor input, Tensor? timeEmbedding, List<Tensor>? skips)
    {
        using var scope = NewDisposeScope();
        int firstOwnSkip = skips?.Count ?? 0;
        var h = input;
        for (int j = 0; j < resnets.Count; j++)
        {
            h = resnets[j].call(h, timeEmbedding);
            if (attentions.Count > 0) h = attentions[j].call(h);
            skips?.Add(h);
        }
        if (downsamplers.Count > 0)
        {
            h = downsamplers[0].call(h);
            skips?.Add(h);
        }
        if (skips is null) return scope.MoveToOuter(h);
        for (int i = firstOwnSkip; i < skips.Count; i++) scope.MoveToOuter(skips[i]);
        return h;   // the last skip, already moved out with the others
    }
}
