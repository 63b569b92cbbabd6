using EdSam.IO;
using StbImageWriteSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Imaging;

/// <summary>
/// Writes float image tensors (<c>[C, H, W]</c>, values in <c>[0, 1]</c>, C = 1 grey, 3 RGB or 4 RGBA)
/// as 8-bit PNG. Files are written atomically: a temporary file beside the target is renamed over it,
/// so a crash never leaves a half-written image under the final name.
/// </summary>
public static class ImageEncoder
{
    /// <summary>Encodes <paramref name="image"/> as PNG and writes it to <paramref name="path"/> atomically.</summary>
    /// <param name="path">Destination file; its folder is created when missing; an existing file is replaced.</param>
    /// <param name="image">A <c>[C, H, W]</c> floating-point tensor in <c>[0, 1]</c> on any device; values
    /// outside the range are clamped. The tensor is not modified.</param>
    /// <exception cref="ArgumentException">Wrong rank, channel count or dtype, or non-finite values.</exception>
    public static void SavePng(string path, Tensor image)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] png = EncodePng(image);
        AtomicFile.WriteAllBytes(path, png);
    }

    /// <summary>Encodes <paramref name="image"/> as PNG in memory.</summary>
    /// <param name="image">A <c>[C, H, W]</c> floating-point tensor in <c>[0, 1]</c>, C ∈ {1, 3, 4}.</param>
    /// <returns>The PNG file bytes.</returns>
    /// <exception cref="ArgumentException">Wrong rank, channel count or dtype, or non-finite values.</exception>
    public static byte[] EncodePng(Tensor image)
    {
        var (pixels, channels, height, width) = ToInterleavedBytes(image);
        var components = channels switch
        {
            1 => ColorComponents.Grey,
            3 => ColorComponents.RedGreenBlue,
            _ => ColorComponents.RedGreenBlueAlpha,
        };
        using var output = new MemoryStream();
        new ImageWriter().WritePng(pixels, width, height, components, output);
        return output.ToArray();
    }

    /// <summary>[C,H,W] float in [0,1] → interleaved HWC bytes, rounding to the nearest 8-bit level.</summary>
    internal static (byte[] Pixels, int Channels, int Height, int Width) ToInterleavedBytes(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 3 || image.shape[0] is not (1 or 3 or 4))
            throw new ArgumentException($"Expected an image tensor [C, H, W] with C = 1, 3 or 4; got [{string.Join(", ", image.shape)}].", nameof(image));
        if (!image.is_floating_point())
            throw new ArgumentException($"Expected a floating-point image tensor with values in [0, 1]; got {image.dtype}.", nameof(image));
        if (image.shape[1] == 0 || image.shape[2] == 0 || image.shape[1] > int.MaxValue || image.shape[2] > int.MaxValue)
            throw new ArgumentException($"Image size {image.shape[1]}×{image.shape[2]} cannot be written as PNG.", nameof(image));

        using var scope = torch.NewDisposeScope();
        Tensor cpu = image.detach().to(ScalarType.Float32, CPU);
        if (!torch.isfinite(cpu).all().item<bool>())
            throw new ArgumentException("The image tensor holds NaN or infinite values.", nameof(image));
        Tensor bytes = cpu.clamp(0, 1).mul(255).round().to(ScalarType.Byte).permute(1, 2, 0).contiguous();
        return (bytes.data<byte>().ToArray(), (int)image.shape[0], (int)image.shape[1], (int)image.shape[2]);
    }
}
