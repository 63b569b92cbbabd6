namespace EdSam.Clip;

/// <summary>The two image towers CLIP was published with.</summary>
public enum ClipVisionArchitecture
{
    /// <summary>A Vision Transformer (<c>layers</c> is a single block count, <c>patch_size</c> is set).</summary>
    VisionTransformer,

    /// <summary>OpenAI's ModifiedResNet (<c>layers</c> holds the four stage depths, <c>patch_size</c> is null).</summary>
    ModifiedResNet,
}

/// <summary>
/// The image tower of a <see cref="ClipConfig"/>: the <c>vision_cfg</c> object of an open_clip model config.
/// </summary>
public sealed record ClipVisionConfig
{
    /// <summary>Side of the square input image in pixels (<c>image_size</c>), e.g. 224.</summary>
    public required int ImageSize { get; init; }

    /// <summary>
    /// Depth (<c>layers</c>): one entry (the number of transformer blocks) for a ViT, four entries (blocks per
    /// stage) for a ModifiedResNet.
    /// </summary>
    public required IReadOnlyList<int> Layers { get; init; }

    /// <summary>Width (<c>width</c>): the ViT hidden size, or the ResNet stem width (the pooled width is 32×this).</summary>
    public required int Width { get; init; }

    /// <summary>Patch side in pixels (<c>patch_size</c>) for a ViT; null for a ModifiedResNet.</summary>
    public int? PatchSize { get; init; }

    /// <summary>Channels per attention head (<c>head_width</c>).</summary>
    /// <value>The default value is 64 (every published CLIP).</value>
    public int HeadWidth { get; init; } = 64;

    /// <summary>MLP hidden size as a multiple of <see cref="Width"/> (<c>mlp_ratio</c>, ViT only).</summary>
    /// <value>The default value is 4.</value>
    public double MlpRatio { get; init; } = 4.0;

    /// <summary>Which tower the depth list describes: one entry = ViT, four entries = ModifiedResNet.</summary>
    public ClipVisionArchitecture Architecture =>
        Layers.Count == 4 && PatchSize is null ? ClipVisionArchitecture.ModifiedResNet : ClipVisionArchitecture.VisionTransformer;

    /// <summary>Attention heads: <c>width / head_width</c> for a ViT, <c>width·32 / head_width</c> for the ResNet's attention pool.</summary>
    public int Heads => Architecture == ClipVisionArchitecture.VisionTransformer ? Width / HeadWidth : Width * 32 / HeadWidth;

    /// <summary>Value equality that compares <see cref="Layers"/> element by element.</summary>
    public bool Equals(ClipVisionConfig? other) =>
        other is not null && ImageSize == other.ImageSize && Layers.SequenceEqual(other.Layers) && Width == other.Width
        && PatchSize == other.PatchSize && HeadWidth == other.HeadWidth && MlpRatio.Equals(other.MlpRatio);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ImageSize, Layers.Count, Width, PatchSize, HeadWidth, MlpRatio);

    internal IEnumerable<string> Problems()
    {
        if (ImageSize <= 0) yield return $"vision_cfg.image_size must be positive (got {ImageSize})";
        if (Width <= 0) yield return $"vision_cfg.width must be positive (got {Width})";
        if (HeadWidth <= 0) yield return $"vision_cfg.head_width must be positive (got {HeadWidth})";
        if (Layers is null || (Layers.Count != 1 && Layers.Count != 4))
        {
            yield return "vision_cfg.layers must be an integer (ViT) or an array of 4 integers (ModifiedResNet)";
            yield break;
        }
        if (Layers.Any(n => n <= 0)) yield return $"vision_cfg.layers must be positive (got [{string.Join(", ", Layers)}])";
        if (Layers.Count == 4 && PatchSize is not null)
            yield return $"vision_cfg.patch_size must be null for a ModifiedResNet (layers is an array of 4), got {PatchSize}";
        if (Architecture == ClipVisionArchitecture.VisionTransformer)
        {
            if (PatchSize is null or <= 0) yield return $"vision_cfg.patch_size must be a positive integer for a ViT (got {PatchSize?.ToString() ?? "null"})";
            else if (ImageSize > 0 && ImageSize % PatchSize != 0)
                yield return $"vision_cfg.image_size ({ImageSize}) must be a multiple of vision_cfg.patch_size ({PatchSize})";
            if (Width > 0 && HeadWidth > 0 && Width % HeadWidth != 0)
                yield return $"vision_cfg.width ({Width}) must be a multiple of vision_cfg.head_width ({HeadWidth})";
            if (!(MlpRatio > 0) || double.IsInfinity(MlpRatio)) yield return $"vision_cfg.mlp_ratio must be positive (got {MlpRatio})";
        }
        else
        {
            if (ImageSize > 0 && ImageSize % 32 != 0)
                yield return $"vision_cfg.image_size ({ImageSize}) must be a multiple of 32 for a ModifiedResNet";
            if (Width > 0 && Width % 2 != 0) yield return $"vision_cfg.width ({Width}) must be even for a ModifiedResNet stem";
            if (Width > 0 && HeadWidth > 0 && Width * 32 % HeadWidth != 0)
                yield return $"vision_cfg.width·32 ({Width * 32}) must be a multiple of vision_cfg.head_width ({HeadWidth})";
        }
    }
}
