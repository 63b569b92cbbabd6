namespace EdSam.Distillation.Students;

/// <summary>The residual block a <see cref="ResNetBackbone"/> stacks.</summary>
public enum ResNetBlockType
{
    /// <summary>Two 3×3 convolutions (ResNet-18/34); expansion 1.</summary>
    Basic,

    /// <summary>1×1 → 3×3 (stride here, as torchvision's "ResNet v1.5") → 1×1 convolutions (ResNet-50/101/152); expansion 4.</summary>
    Bottleneck,
}

/// <summary>
/// Shape of a torchvision-layout ResNet: a 7×7/2 stem of <see cref="StemWidth"/> channels and max-pool, four stages
/// of <see cref="Layers"/> blocks with <see cref="Widths"/> planes (strides 1, 2, 2, 2), global average pooling.
/// </summary>
/// <param name="Block">Block type.</param>
/// <param name="Layers">Blocks per stage (four stages).</param>
/// <param name="Widths">Planes per stage (the block's inner width; a Bottleneck outputs four times as many channels).</param>
/// <param name="StemWidth">Channels of <c>conv1</c>.</param>
/// <param name="NumClasses">Outputs of the (unused by <c>forward</c>) <c>fc</c> layer, 1000 for ImageNet checkpoints.</param>
public sealed record ResNetConfig(ResNetBlockType Block, IReadOnlyList<int> Layers, IReadOnlyList<int> Widths, int StemWidth = 64, int NumClasses = 1000)
{
    /// <summary>torchvision <c>resnet18</c>.</summary>
    public static ResNetConfig ResNet18 { get; } = new(ResNetBlockType.Basic, [2, 2, 2, 2], [64, 128, 256, 512]);

    /// <summary>torchvision <c>resnet50</c>.</summary>
    public static ResNetConfig ResNet50 { get; } = new(ResNetBlockType.Bottleneck, [3, 4, 6, 3], [64, 128, 256, 512]);

    /// <summary>A small ResNet for tests and quick CPU runs (64-d features, ~0.2 M parameters).</summary>
    public static ResNetConfig Tiny { get; } = new(ResNetBlockType.Basic, [1, 1, 1, 1], [8, 16, 32, 64], StemWidth: 8, NumClasses: 10);

    /// <summary>Channels per block output over input planes: 1 for Basic, 4 for Bottleneck.</summary>
    public int Expansion => Block == ResNetBlockType.Bottleneck ? 4 : 1;

    /// <summary>Width of the pooled features (last stage's width × <see cref="Expansion"/>).</summary>
    public int FeatureDim => Widths[^1] * Expansion;

    /// <summary>Checks every field and reports all problems at once.</summary>
    /// <exception cref="OptionsValidationException">A field is out of range; the message lists every one.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public ResNetConfig Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Block)) errors.Add($"Block: {Block} is not a ResNetBlockType.");
        if (Layers is null || Layers.Count != 4 || Layers.Any(n => n < 1))
            errors.Add($"Layers: expected four positive block counts; got [{(Layers is null ? "null" : string.Join(", ", Layers))}].");
        if (Widths is null || Widths.Count != 4 || Widths.Any(w => w < 1))
            errors.Add($"Widths: expected four positive widths; got [{(Widths is null ? "null" : string.Join(", ", Widths))}].");
        if (StemWidth < 1) errors.Add($"StemWidth: must be positive; got {StemWidth}.");
        if (NumClasses < 1) errors.Add($"NumClasses: must be positive; got {NumClasses}.");
        OptionsValidationException.ThrowIfAny("ResNetConfig", errors);
        return this;
    }
}
