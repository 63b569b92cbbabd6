using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Imaging;

/// <summary>Tiles a batch of images into one picture, row by row (like torchvision's <c>make_grid</c>).</summary>
public static class ImageGrid
{
    /// <summary>Builds the grid tensor.</summary>
    /// <param name="images">A <c>[N, C, H, W]</c> floating-point batch in <c>[0, 1]</c>, N ≥ 1.</param>
    /// <param name="columns">Images per row; the grid has <c>ceil(N / columns)</c> rows and
    /// <c>min(columns, N)</c> columns.</param>
    /// <param name="padding">Pixels between images and around the border (≥ 0).</param>
    /// <param name="padValue">Value of the padding pixels, in <c>[0, 1]</c> (0 = black, 1 = white).</param>
    /// <returns>A new <c>[C, rows·(H+padding)+padding, cols·(W+padding)+padding]</c> tensor on the input's device.</returns>
    /// <exception cref="ArgumentException">Wrong rank, empty batch, or invalid layout values.</exception>
    public static Tensor Make(Tensor images, int columns = 8, int padding = 2, float padValue = 0f)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[0] == 0)
            throw new ArgumentException($"Expected a non-empty image batch [N, C, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        if (!(padValue >= 0f && padValue <= 1f)) throw new ArgumentOutOfRangeException(nameof(padValue), padValue, "padValue must be in [0, 1].");

        long count = images.shape[0], channels = images.shape[1], height = images.shape[2], width = images.shape[3];
        long cols = Math.Min(columns, count);
        long rows = (count + cols - 1) / cols;
        Tensor grid = torch.full(new[] { channels, rows * (height + padding) + padding, cols * (width + padding) + padding },
            padValue, images.dtype, images.device);
        using var scope = torch.NewDisposeScope();
        for (long i = 0; i < count; i++)
        {
            long top = padding + i / cols * (height + padding);
            long left = padding + i % cols * (width + padding);
            grid.narrow(1, top, height).narrow(2, left, width).copy_(images[i]);
        }
        return grid;
    }

    /// <summary>Builds the grid and writes it to <paramref name="path"/> as PNG, atomically.</summary>
    /// <param name="path">Destination file; replaced when it exists.</param>
    /// <param name="images">A <c>[N, C, H, W]</c> batch in <c>[0, 1]</c>, C ∈ {1, 3, 4}.</param>
    /// <param name="columns">Images per row.</param>
    /// <param name="padding">Pixels between images and around the border.</param>
    /// <param name="padValue">Value of the padding pixels, in <c>[0, 1]</c>.</param>
    /// <exception cref="ArgumentException">See <see cref="Make"/> and <see cref="ImageEncoder.SavePng"/>.</exception>
    public static void Save(string path, Tensor images, int columns = 8, int padding = 2, float padValue = 0f)
    {
        using Tensor grid = Make(images, columns, padding, padValue);
        ImageEncoder.SavePng(path, grid);
    }
}
