using EdSam.Clip;
using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>Cuts the central <see cref="Size"/>×<see cref="Size"/> window — the crop step of
/// <see cref="ImagePreprocessor"/> (torchvision's offsets; an image smaller than the crop is zero-padded).</summary>
public sealed class CenterCrop : IImageTransform
{
    private readonly ImagePreprocessor preprocessor;

    /// <summary>Creates the transform.</summary>
    /// <param name="size">Side of the square crop, in pixels (≥ 1).</param>
    public CenterCrop(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
        preprocessor = new ImagePreprocessor(new ImagePreprocessorOptions { ResizeSize = size, CropSize = size });
    }

    /// <summary>Side of the square crop, in pixels.</summary>
    public int Size { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(CenterCrop));
        return preprocessor.CenterCrop(image);
    }
}
