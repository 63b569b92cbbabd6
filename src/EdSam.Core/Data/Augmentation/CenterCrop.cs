using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>Cuts the central <see cref="Size"/>×<see cref="Size"/> window (after a <see cref="Resize"/> to at
/// least that size; a smaller image is first resized up so that the crop fits).</summary>
public sealed class CenterCrop : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="size">Side of the square crop, in pixels (≥ 1).</param>
    public CenterCrop(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
    }

    /// <summary>Side of the square crop, in pixels.</summary>
    public int Size { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(CenterCrop));
        long h = image.shape[1], w = image.shape[2];
        if (h < Size || w < Size)
        {
            using var larger = new Resize(Size).Apply(image, random);
            return Apply(larger, random);
        }
        return ImageOps.Crop(image, (h - Size) / 2, (w - Size) / 2, Size, Size);
    }
}
