using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Data.FashionMnist;

/// <summary>A stack of 8-bit grayscale images read from an IDX3 file: <see cref="Count"/> images of
/// <see cref="Rows"/> × <see cref="Columns"/> pixels, row-major, one byte per pixel (0 = black, 255 = white).</summary>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Image height in pixels.</param>
/// <param name="Columns">Image width in pixels.</param>
/// <param name="Pixels">All pixels, image after image: image <c>i</c> starts at <c>i × Rows × Columns</c>.</param>
public sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels)
{
    /// <summary>Pixels per image (<see cref="Rows"/> × <see cref="Columns"/>).</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="Count"/>).</exception>
    public ReadOnlySpan<byte> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>All images as a new uint8 tensor of shape [<see cref="Count"/>, <see cref="Rows"/>,
    /// <see cref="Columns"/>] on the CPU (a copy; the caller disposes it).</summary>
    public Tensor ToTensor() => torch.tensor(Pixels, new long[] { Count, Rows, Columns }, ScalarType.Byte);
}
