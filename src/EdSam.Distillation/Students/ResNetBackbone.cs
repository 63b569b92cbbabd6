using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation.Students;

/// <summary>
/// A ResNet with torchvision's architecture and state-dict keys (<c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, …,
/// <c>layer2.0.downsample.0/1</c>, <c>fc</c>) whose <c>forward</c> returns the globally average-pooled features of the
/// last stage, <c>[N, FeatureDim]</c> (512 for ResNet-18, 2048 for ResNet-50); <c>fc</c> is kept for the key layout only.
/// </summary>
/// <remarks>
/// Written here rather than taken from the <c>TorchVision</c> package: its <c>ResNet.forward</c> always applies
/// <c>fc</c> (no pooled-feature output), its widths are fixed (no small test model), and it would bring SkiaSharp
/// with native assets to every EdSam user. Initialisation follows torchvision: Kaiming-normal (fan-out, ReLU)
/// convolutions, BatchNorm weight 1 / bias 0, PyTorch's default <c>Linear</c> initialisation for <c>fc</c> (U(±1/√fan_in)).
/// </remarks>
public sealed class ResNetBackbone : StudentBackbone
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear fc;

    /// <summary>Builds a randomly initialised ResNet (torchvision's initialisation) in training mode, fp32, on the CPU.</summary>
    /// <param name="config">The architecture, for example <see cref="ResNetConfig.ResNet50"/>; validated here.</param>
    /// <param name="generator">Source of the initial values (seeded for a repeatable model); null for torch's global generator.</param>
    /// <exception cref="ArgumentException">The config is invalid (all problems listed).</exception>
    public ResNetBackbone(ResNetConfig config, Generator? generator = null) : base("ResNet")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;

        conv1 = Conv2d(3, config.StemWidth, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(config.StemWidth);
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        int channels = config.StemWidth;
        layer1 = MakeStage(config, 0, ref channels);
        layer2 = MakeStage(config, 1, ref channels);
        layer3 = MakeStage(config, 2, ref channels);
        layer4 = MakeStage(config, 3, ref channels);
        fc = Linear(channels, config.NumClasses);
        RegisterComponents();
        InitializeLikeTorchvision(generator);
    }

    /// <summary>The architecture.</summary>
    public ResNetConfig Config { get; }

    /// <inheritdoc/>
    public override int FeatureDim => Config.FeatureDim;

    /// <inheritdoc/>
    public override string ClassifierPrefix => "fc.";

    /// <summary>Pooled features.</summary>
    /// <param name="images">Normalised pixels <c>[N, 3, H, W]</c> (ImageNet mean/std for ImageNet weights), any H, W ≥ 1; converted to the model's dtype and device.</param>
    /// <returns>Features <c>[N, FeatureDim]</c> (after the last stage's ReLU and global average pooling).</returns>
    /// <exception cref="ArgumentException">The input is not <c>[N, 3, H, W]</c> floating point.</exception>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = PrepareInput(images, conv1.weight!);
        x = maxpool.call(bn1.call(conv1.call(x)).relu_());
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return scope.MoveToOuter(x.mean([2, 3]));
    }

    /// <summary>torchvision's shortcut: 1×1 convolution (with the block's stride) + BatchNorm, when the shape changes.</summary>
    internal static Sequential? Downsample(int inChannels, int outChannels, int stride) =>
        stride == 1 && inChannels == outChannels
            ? null
            : Sequential(Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), BatchNorm2d(outChannels));

    private static Sequential MakeStage(ResNetConfig config, int stage, ref int channels)
    {
        var blocks = Sequential();
        int planes = config.Widths[stage];
        int stride = stage == 0 ? 1 : 2;
        for (int i = 0; i < config.Layers[stage]; i++)
        {
            Module<Tensor, Tensor> block = config.Block == ResNetBlockType.Bottleneck
                ? new ResNetBottleneck(channels, planes, i == 0 ? stride : 1)
                : new ResNetBasicBlock(channels, planes, i == 0 ? stride : 1);
            blocks.append(block);
            channels = planes * config.Expansion;
        }
        return blocks;
    }

    private void InitializeLikeTorchvision(Generator? generator)
    {
        using var _ = no_grad();
        foreach (var module in modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    Initializers.KaimingNormalFanOut(conv.weight!, generator);
                    break;
                case Linear linear:
                    Initializers.PyTorchDefault(linear.weight!, linear.bias, generator);
                    break;
                case BatchNorm2d norm:
                    init.ones_(norm.weight!);
                    init.zeros_(norm.bias!);
                    break;
            }
        }
    }
}
