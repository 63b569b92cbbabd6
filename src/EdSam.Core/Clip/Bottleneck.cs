using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Clip;

/// <summary>
/// ModifiedResNet's bottleneck block (<c>layerK.i.*</c>): 1×1, 3×3, 1×1 convolutions with BatchNorm and ReLU.
/// Striding is anti-aliased: an average pool of the stride's size runs before <c>conv3</c> and before the
/// <c>downsample</c> projection.
/// </summary>
internal sealed class Bottleneck : Module<Tensor, Tensor>
{
    /// <summary>Output channels per <c>planes</c>.</summary>
    public const int Expansion = 4;

    private readonly ConvWeight conv1;
    private readonly BatchNorm2d bn1;
    private readonly ConvWeight conv2;
    private readonly BatchNorm2d bn2;
    private readonly ConvWeight conv3;
    private readonly BatchNorm2d bn3;
    private readonly Downsample? downsample;
    private readonly long _stride;

    public Bottleneck(int inPlanes, int planes, int stride) : base(nameof(Bottleneck))
    {
        _stride = stride;
        conv1 = new ConvWeight(inPlanes, planes, 1);
        bn1 = BatchNorm2d(planes);
        conv2 = new ConvWeight(planes, planes, 3);
        bn2 = BatchNorm2d(planes);
        conv3 = new ConvWeight(planes, planes * Expansion, 1);
        bn3 = BatchNorm2d(planes * Expansion);
        using (no_grad()) init.zeros_(bn3.weight!); // open_clip: each residual branch starts as the identity
        if (stride > 1 || inPlanes != planes * Expansion) downsample = new Downsample(inPlanes, planes * Expansion, stride);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = functional.relu(bn1.call(ClipOps.Conv2d(x, conv1.Weight)));
        h = functional.relu(bn2.call(ClipOps.Conv2d(h, conv2.Weight, padding: 1)));
        if (_stride > 1) h = functional.avg_pool2d(h, _stride);
        h = bn3.call(ClipOps.Conv2d(h, conv3.Weight));
        var identity = downsample is null ? x : downsample.call(x);
        return scope.MoveToOuter(functional.relu(h.add_(identity)));
    }

    /// <summary>
    /// The shortcut projection: average pool (OpenAI's <c>downsample.-1</c>, no weights), 1×1 convolution
    /// (<c>downsample.0</c>), BatchNorm (<c>downsample.1</c>).
    /// </summary>
    private sealed class Downsample : Module<Tensor, Tensor>
    {
        [ComponentName(Name = "0")]
        private readonly ConvWeight conv;

        [ComponentName(Name = "1")]
        private readonly BatchNorm2d bn;

        private readonly long _stride;

        public Downsample(int inPlanes, int outPlanes, int stride) : base("downsample")
        {
            _stride = stride;
            conv = new ConvWeight(inPlanes, outPlanes, 1);
            bn = BatchNorm2d(outPlanes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var pooled = _stride > 1 ? functional.avg_pool2d(x, _stride) : x;
            return scope.MoveToOuter(bn.call(ClipOps.Conv2d(pooled, conv.Weight)));
        }
    }
}
