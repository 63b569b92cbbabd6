namespace EdSam.Clip;

/// <summary>How <see cref="ImagePreprocessor"/> resamples when it resizes.</summary>
public enum ResizeInterpolation
{
    /// <summary>
    /// Cubic convolution with a = −0.5 (PIL's <c>BICUBIC</c>); with antialiasing the kernel is widened by
    /// the downscale factor, as PIL does. CLIP and OpenCLIP preprocess with this.
    /// </summary>
    Bicubic,

    /// <summary>Triangle filter (PIL's <c>BILINEAR</c>), widened by the downscale factor with antialiasing.</summary>
    Bilinear,

    /// <summary>Nearest neighbour (PIL's <c>NEAREST</c>, PyTorch's <c>nearest-exact</c>); never antialiased.</summary>
    Nearest,
}
