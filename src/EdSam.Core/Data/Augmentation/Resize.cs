using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>Resizes so that the shorter side is <see cref="Size"/> pixels, keeping the aspect ratio (bilinear,
/// anti-aliased), as CLIP's and torchvision's <c>Resize(int)</c> do.</summary>
public sealed class Resize : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="size">Target length of the shorter side, in pixels (≥ 1).</param>
    public Resize(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
    }

    /// <summary>Target length of the shorter side, in pixels.</summary>
    public int Size { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(Resize));
        long h = image.shape[1], w = image.shape[2];
        (long newH, long newW) = h <= w
            ? ((long)Size, Math.Max(1, (long)Math.Round((double)w * Size / h)))
            : (Math.Max(1, (long)Math.Round((double)h * Size / w)), (long)Size);
        return ImageOps.Resize(image, newH, newW);
    }
}
