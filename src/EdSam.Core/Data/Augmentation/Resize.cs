using EdSam.Clip;
using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>Resizes so that the shorter side is <see cref="Size"/> pixels, keeping the aspect ratio — the resize
/// step of <see cref="ImagePreprocessor"/> (antialiased, PIL-compatible, clamped to [0, 1]), so a pipeline built
/// from these transforms preprocesses exactly as CLIP does.</summary>
public sealed class Resize : IImageTransform
{
    private readonly ImagePreprocessor preprocessor;

    /// <summary>Creates the transform.</summary>
    /// <param name="size">Target length of the shorter side, in pixels (≥ 1).</param>
    /// <param name="interpolation">Resampling filter; bicubic (CLIP's) by default.</param>
    public Resize(int size, ResizeInterpolation interpolation = ResizeInterpolation.Bicubic)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
        preprocessor = new ImagePreprocessor(new ImagePreprocessorOptions { ResizeSize = size, CropSize = size, Interpolation = interpolation });
    }

    /// <summary>Target length of the shorter side, in pixels.</summary>
    public int Size { get; }

    /// <inheritdoc/>
    /// <remarks>Expects pixels in [0, 1] (resize before normalising): the result is clamped to that range.</remarks>
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(Resize));
        return preprocessor.Resize(image);
    }
}
