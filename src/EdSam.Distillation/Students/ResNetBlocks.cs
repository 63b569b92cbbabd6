using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation.Students;

/// <summary>torchvision's <c>BasicBlock</c>: conv3×3 → BN → ReLU → conv3×3 → BN, plus the (down-sampled) input, ReLU.</summary>
internal sealed class ResNetBasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    public ResNetBasicBlock(int inChannels, int planes, int stride) : base("BasicBlock")
    {
        conv1 = Conv2d(inChannels, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        downsample = ResNetBackbone.Downsample(inChannels, planes, stride);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn1.call(conv1.call(x)).relu_();
        y = bn2.call(conv2.call(y));
        var identity = downsample is null ? x : downsample.call(x);
        return scope.MoveToOuter(y.add_(identity).relu_());
    }
}

/// <summary>
/// torchvision's <c>Bottleneck</c> (ResNet v1.5, stride on the 3×3 convolution): 1×1 → 3×3 → 1×1 (×4 channels),
/// each followed by BN, plus the (down-sampled) input, ReLU.
/// </summary>
internal sealed class ResNetBottleneck : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;

    public ResNetBottleneck(int inChannels, int planes, int stride) : base("Bottleneck")
    {
        int outChannels = planes * 4;
        conv1 = Conv2d(inChannels, planes, 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        conv3 = Conv2d(planes, outChannels, 1, bias: false);
        bn3 = BatchNorm2d(outChannels);
        downsample = ResNetBackbone.Downsample(inChannels, outChannels, stride);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = bn1.call(conv1.call(x)).relu_();
        y = bn2.call(conv2.call(y)).relu_();
        y = bn3.call(conv3.call(y));
        var identity = downsample is null ? x : downsample.call(x);
        return scope.MoveToOuter(y.add_(identity).relu_());
    }
}
