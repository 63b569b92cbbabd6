using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Clip;

/// <summary>
/// ModifiedResNet's bottleneck block (<c>layerK.i.*</c>): 1×1, 3×3, 1×1 convolutions with BatchNorm and ReLU.
/// Striding is anti-aliased: an average pool of the stride's size runs before <c>conv3</c> and before the
/// <c>downsample</c> projection (whose keys are <c>downsample.0</c> = conv, <c>downsample.1</c> = BN; the pool,
/// named <c>-1</c> in OpenAI's code, has no weights).
/// </summary>
internal sealed class Bottleneck : Module<Tensor, Tensor>
{
    /// <summary>Output channels per <c>planes</c>.</summary>
    public const int Expansion = 4;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;
    private readonly long _stride;

    public Bottleneck(int inPlanes, int planes, int stride) : base(nameof(Bottleneck))
    {
        _stride = stride;
        conv1 = Conv2d(inPlanes, planes, 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        conv3 = Conv2d(planes, planes * Expansion, 1, bias: false);
        bn3 = BatchNorm2d(planes * Expansion);
        if (stride > 1 || inPlanes != planes * Expansion)
        {
            downsample = Sequential(
                ("-1", stride > 1 ? AvgPool2d(stride) : Identity()),
                ("0", Conv2d(inPlanes, planes * Expansion, 1, bias: false)),
                ("1", BatchNorm2d(planes * Expansion)));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = functional.relu(bn1.call(conv1.call(x)));
        h = functional.relu(bn2.call(conv2.call(h)));
        if (_stride > 1) h = functional.avg_pool2d(h, _stride);
        h = bn3.call(conv3.call(h));
        var identity = downsample is null ? x : downsample.call(x);
        return scope.MoveToOuter(functional.relu(h.add_(identity)));
    }
}
