using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>Crops a random window covering a random fraction (<see cref="MinScale"/>–<see cref="MaxScale"/>) of
/// the image area with a random aspect ratio (log-uniform in <see cref="MinRatio"/>–<see cref="MaxRatio"/>) and
/// resizes it to <see cref="Size"/>×<see cref="Size"/>: the crop of DomainBed's and SWAD's training
/// augmentation (scale 0.7–1), following the procedure of torchvision's <c>RandomResizedCrop</c>.</summary>
public sealed class RandomResizedCrop : IImageTransform
{
    private const int Attempts = 10;

    /// <summary>Creates the transform.</summary>
    /// <param name="size">Output side, in pixels (≥ 1).</param>
    /// <param name="minScale">Smallest fraction of the area kept, in (0, maxScale].</param>
    /// <param name="maxScale">Largest fraction of the area kept, in [minScale, 1].</param>
    /// <param name="minRatio">Smallest width/height ratio, &gt; 0.</param>
    /// <param name="maxRatio">Largest width/height ratio, ≥ minRatio.</param>
    public RandomResizedCrop(int size, double minScale = 0.7, double maxScale = 1.0, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1))
            throw new ArgumentException($"Scale range must satisfy 0 < min ≤ max ≤ 1; got [{minScale}, {maxScale}].");
        if (!(minRatio > 0 && minRatio <= maxRatio))
            throw new ArgumentException($"Ratio range must satisfy 0 < min ≤ max; got [{minRatio}, {maxRatio}].");
        Size = size;
        MinScale = minScale;
        MaxScale = maxScale;
        MinRatio = minRatio;
        MaxRatio = maxRatio;
    }

    /// <summary>Output side, in pixels.</summary>
    public int Size { get; }

    /// <summary>Smallest fraction of the area kept.</summary>
    public double MinScale { get; }

    /// <summary>Largest fraction of the area kept.</summary>
    public double MaxScale { get; }

    /// <summary>Smallest width/height ratio.</summary>
    public double MinRatio { get; }

    /// <summary>Largest width/height ratio.</summary>
    public double MaxRatio { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(RandomResizedCrop));
        ArgumentNullException.ThrowIfNull(random);
        var (top, left, height, width) = SampleWindow(image.shape[1], image.shape[2], random);
        using var crop = ImageOps.Crop(image, top, left, height, width);
        return ImageOps.Resize(crop, Size, Size);
    }

    /// <summary>The crop window (top, left, height, width) for an image of <paramref name="imageHeight"/> ×
    /// <paramref name="imageWidth"/>: up to ten draws of area and ratio; if none fits, the largest central window
    /// whose ratio is clamped into range.</summary>
    internal (long Top, long Left, long Height, long Width) SampleWindow(long imageHeight, long imageWidth, Random random)
    {
        double area = (double)imageHeight * imageWidth;
        double logMin = Math.Log(MinRatio), logMax = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            double target = area * (MinScale + (MaxScale - MinScale) * random.NextDouble());
            double ratio = Math.Exp(logMin + (logMax - logMin) * random.NextDouble());
            long w = (long)Math.Round(Math.Sqrt(target * ratio));
            long h = (long)Math.Round(Math.Sqrt(target / ratio));
            if (w >= 1 && h >= 1 && w <= imageWidth && h <= imageHeight)
                return (random.NextInt64(imageHeight - h + 1), random.NextInt64(imageWidth - w + 1), h, w);
        }
        double imageRatio = (double)imageWidth / imageHeight;
        long fallbackW, fallbackH;
        if (imageRatio < MinRatio) { fallbackW = imageWidth; fallbackH = Math.Max(1, (long)Math.Round(imageWidth / MinRatio)); }
        else if (imageRatio > MaxRatio) { fallbackH = imageHeight; fallbackW = Math.Max(1, (long)Math.Round(imageHeight * MaxRatio)); }
        else { fallbackW = imageWidth; fallbackH = imageHeight; }
        return ((imageHeight - fallbackH) / 2, (imageWidth - fallbackW) / 2, fallbackH, fallbackW);
    }
}
