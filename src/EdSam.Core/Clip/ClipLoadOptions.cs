using static TorchSharp.torch;

namespace EdSam.Clip;

/// <summary>How <see cref="ClipModel.FromPretrained(ClipConfig, string, ClipLoadOptions?)"/> places and converts a checkpoint.</summary>
public sealed record ClipLoadOptions
{
    /// <summary>Precision of the loaded model.</summary>
    /// <value>The default value is <see cref="ClipPrecision.Fp32"/>.</value>
    public ClipPrecision Precision { get; init; } = ClipPrecision.Fp32;

    /// <summary>Device the model is moved to after loading; null keeps it on the CPU.</summary>
    /// <value>The default value is null (CPU).</value>
    public Device? Device { get; init; }

    /// <summary>
    /// When the config's image size differs from the checkpoint's, interpolate the positional-embedding grid
    /// (bicubic, class token kept) instead of failing with a shape mismatch.
    /// </summary>
    /// <value>The default value is true.</value>
    public bool ResizePositionalEmbeddings { get; init; } = true;
}
