namespace EdSam.Distillation.Students;

/// <summary>
/// Shape of a timm-layout Vision Transformer (class token, learned positional embedding, pre-norm blocks, final
/// LayerNorm with ε = 1e-6, exact GELU).
/// </summary>
/// <param name="ImageSize">Side of the square input in pixels (fixes the positional embedding's length).</param>
/// <param name="PatchSize">Side of a square patch in pixels; must divide <paramref name="ImageSize"/>.</param>
/// <param name="Width">Token width D (the feature dimension).</param>
/// <param name="Depth">Number of transformer blocks.</param>
/// <param name="Heads">Attention heads; must divide <paramref name="Width"/>.</param>
/// <param name="MlpRatio">Hidden width of each MLP over <paramref name="Width"/>.</param>
/// <param name="NumClasses">Outputs of the (unused by <c>forward</c>) <c>head</c>, 1000 for ImageNet checkpoints.</param>
public sealed record VitConfig(int ImageSize, int PatchSize, int Width, int Depth, int Heads, double MlpRatio = 4.0, int NumClasses = 1000)
{
    /// <summary>timm <c>vit_small_patch16_224</c> (ViT-S/16).</summary>
    public static VitConfig Small16 { get; } = new(224, 16, 384, 12, 6);

    /// <summary>timm <c>vit_base_patch16_224</c> (ViT-B/16).</summary>
    public static VitConfig Base16 { get; } = new(224, 16, 768, 12, 12);

    /// <summary>A small ViT for tests and quick CPU runs: 32-px images, patch 4, width 64, 2 blocks, 4 heads.</summary>
    public static VitConfig Tiny { get; } = new(32, 4, 64, 2, 4, NumClasses: 10);

    /// <summary>Patches along one side.</summary>
    public int GridSize => ImageSize / PatchSize;

    /// <summary>Tokens per image: the class token plus <see cref="GridSize"/>².</summary>
    public int Tokens => 1 + GridSize * GridSize;

    /// <summary>Hidden width of each MLP.</summary>
    public int MlpWidth => (int)(Width * MlpRatio);

    /// <summary>Checks every field and reports all problems at once.</summary>
    /// <exception cref="OptionsValidationException">A field is out of range; the message lists every one.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public VitConfig Validate()
    {
        var errors = new List<string>();
        if (ImageSize < 1) errors.Add($"ImageSize: must be positive; got {ImageSize}.");
        if (PatchSize < 1) errors.Add($"PatchSize: must be positive; got {PatchSize}.");
        else if (ImageSize >= 1 && ImageSize % PatchSize != 0) errors.Add($"PatchSize: {PatchSize} must divide ImageSize {ImageSize}.");
        if (Width < 1) errors.Add($"Width: must be positive; got {Width}.");
        if (Depth < 1) errors.Add($"Depth: must be positive; got {Depth}.");
        if (Heads < 1) errors.Add($"Heads: must be positive; got {Heads}.");
        else if (Width >= 1 && Width % Heads != 0) errors.Add($"Heads: {Heads} must divide Width {Width}.");
        if (!(MlpRatio > 0) || double.IsInfinity(MlpRatio) || Width * MlpRatio < 1) errors.Add($"MlpRatio: must be positive and give a hidden width ≥ 1; got {MlpRatio}.");
        if (NumClasses < 1) errors.Add($"NumClasses: must be positive; got {NumClasses}.");
        OptionsValidationException.ThrowIfAny("VitConfig", errors);
        return this;
    }
}
