using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Diffusion.Models;

/// <summary>The bottleneck at the lowest resolution: <c>resnets.0</c> → <c>attentions.0</c> → <c>resnets.1</c> (diffusers' <c>UNetMidBlock2D</c>).</summary>
internal sealed class MidBlock2D : Module<Tensor, Tensor?, Tensor>
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<SelfAttention2D> attentions;

    public MidBlock2D(int channels, ResnetSettings settings, int attentionHeads) : base(nameof(MidBlock2D))
    {
        resnets = nn.ModuleList(settings.Create(channels, channels), settings.Create(channels, channels));
        attentions = nn.ModuleList(new SelfAttention2D(channels, attentionHeads, settings.Groups, settings.Eps));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input, Tensor? timeEmbedding)
    {
        using var scope = NewDisposeScope();
        var h = resnets[0].call(input, timeEmbedding);
        h = attentions[0].call(h);
        return scope.MoveToOuter(resnets[1].call(h, timeEmbedding));
    }
}

/// <summary>The settings every residual block of one network shares.</summary>
internal sealed record ResnetSettings(int Groups, double Eps, int TimeEmbeddingDim = 0, double Dropout = 0, bool ScaleShift = false)
{
    public ResnetBlock2D Create(int inChannels, int outChannels) =>
        new(inChannels, outChannels, Groups, Eps, TimeEmbeddingDim, Dropout, ScaleShift);
}
