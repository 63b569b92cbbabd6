using EdSam.Imaging;

namespace EdSam.Clip;

/// <summary>
/// Settings of <see cref="ImagePreprocessor"/>: resize the shortest side, centre-crop, normalise per channel.
/// The defaults reproduce OpenAI CLIP's and OpenCLIP's evaluation transform at 224 pixels.
/// </summary>
public sealed record ImagePreprocessorOptions
{
    /// <summary>CLIP's per-channel (R, G, B) mean of pixel values in [0, 1].</summary>
    public static IReadOnlyList<float> ClipMean { get; } = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>CLIP's per-channel (R, G, B) standard deviation of pixel values in [0, 1].</summary>
    public static IReadOnlyList<float> ClipStd { get; } = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>ImageNet's per-channel (R, G, B) mean, used by many OpenCLIP models trained elsewhere and by CNN students.</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = [0.485f, 0.456f, 0.406f];

    /// <summary>ImageNet's per-channel (R, G, B) standard deviation.</summary>
    public static IReadOnlyList<float> ImageNetStd { get; } = [0.229f, 0.224f, 0.225f];

    /// <summary>Options for a CLIP model whose vision tower takes <paramref name="imageSize"/>² pixels.</summary>
    /// <param name="imageSize">The model's input size (224 for ViT-B/32, 336 for ViT-L/14-336, …).</param>
    public static ImagePreprocessorOptions Clip(int imageSize = 224) => new() { ResizeSize = imageSize, CropSize = imageSize };

    /// <summary>Options with ImageNet statistics at <paramref name="imageSize"/>² pixels.</summary>
    /// <param name="imageSize">The model's input size.</param>
    public static ImagePreprocessorOptions ImageNet(int imageSize = 224)
        => new() { ResizeSize = imageSize, CropSize = imageSize, Mean = ImageNetMean, Std = ImageNetStd };

    /// <summary>Length in pixels the shortest image side is resized to (the long side keeps the aspect ratio, truncated).</summary>
    /// <value>The default value is 224.</value>
    public int ResizeSize { get; init; } = 224;

    /// <summary>Side in pixels of the square centre crop taken after resizing; images smaller than it are zero-padded.</summary>
    /// <value>The default value is 224.</value>
    public int CropSize { get; init; } = 224;

    /// <summary>Per-channel mean (R, G, B) subtracted after cropping, in [0, 1] pixel units.</summary>
    /// <value>The default value is <see cref="ClipMean"/>.</value>
    public IReadOnlyList<float> Mean { get; init; } = ClipMean;

    /// <summary>Per-channel standard deviation (R, G, B) divided by after subtracting <see cref="Mean"/>.</summary>
    /// <value>The default value is <see cref="ClipStd"/>.</value>
    public IReadOnlyList<float> Std { get; init; } = ClipStd;

    /// <summary>Resampling filter used to resize.</summary>
    /// <value>The default value is <see cref="ResizeInterpolation.Bicubic"/>.</value>
    public ResizeInterpolation Interpolation { get; init; } = ResizeInterpolation.Bicubic;

    /// <summary>
    /// Widen the filter when downscaling so every input pixel contributes (what PIL always does and
    /// torchvision does with <c>antialias=True</c>); without it, downscaled images alias and CLIP accuracy drops.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Antialias { get; init; } = true;

    /// <summary>
    /// Clamp resized pixels to [0, 1]. Cubic filters overshoot at edges; PIL clamps because it resizes
    /// 8-bit images, so clamping keeps EdSam's input equal to the reference pipeline's.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ClampAfterResize { get; init; } = true;

    /// <summary>How image files are decoded (alpha handling, size limit) by the path-based overloads.</summary>
    /// <value>The default value is <see cref="ImageDecodeOptions.Default"/>.</value>
    public ImageDecodeOptions Decode { get; init; } = ImageDecodeOptions.Default;

    /// <summary>Throws <see cref="ArgumentException"/> listing every invalid property at once.</summary>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public ImagePreprocessorOptions Validate()
    {
        var errors = new List<string>();
        if (ResizeSize < 1) errors.Add($"ResizeSize must be at least 1 pixel (was {ResizeSize}).");
        if (CropSize < 1) errors.Add($"CropSize must be at least 1 pixel (was {CropSize}).");
        if (Mean is null || Mean.Count != 3 || Mean.Any(m => !float.IsFinite(m)))
            errors.Add($"Mean must hold 3 finite values, one per RGB channel (was [{FormatList(Mean)}]).");
        if (Std is null || Std.Count != 3 || Std.Any(s => !float.IsFinite(s) || s <= 0))
            errors.Add($"Std must hold 3 finite positive values, one per RGB channel (was [{FormatList(Std)}]).");
        if (!Enum.IsDefined(Interpolation)) errors.Add($"Interpolation must be one of {string.Join(", ", Enum.GetNames<ResizeInterpolation>())} (was {(int)Interpolation}).");
        if (Decode is null) errors.Add("Decode must not be null.");
        else
        {
            try { Decode.Validate(); }
            catch (ArgumentException ex) { errors.Add(ex.Message); }
        }
        OptionsValidationException.ThrowIfAny("ImagePreprocessorOptions", errors);
        return this;
    }

    private static string FormatList(IReadOnlyList<float>? values)
        => values is null ? "null" : string.Join(", ", values.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
