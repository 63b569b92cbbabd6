using System.Runtime.InteropServices;
using StbImageSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Imaging;

/// <summary>
/// Decodes JPEG, PNG (8- and 16-bit), BMP, GIF (first frame), TGA, PSD and PNM images into
/// float32 RGB tensors <c>[3, H, W]</c> with values in <c>[0, 1]</c>, the layout
/// <see cref="EdSam.Clip.ImagePreprocessor"/> and torchvision's <c>ToTensor</c> use.
/// </summary>
/// <remarks>
/// Grey images are repeated over the three channels; alpha is handled per
/// <see cref="ImageDecodeOptions.Alpha"/>. Every decoding failure surfaces as an
/// <see cref="ImageDecodeException"/> naming the image, never as a crash or a half-filled tensor.
/// Methods are thread-safe.
/// </remarks>
public static class ImageDecoder
{
    /// <summary>Reads and decodes the image file at <paramref name="path"/>.</summary>
    /// <param name="path">Path of the image file.</param>
    /// <param name="options">Decoding options; <see cref="ImageDecodeOptions.Default"/> when null.</param>
    /// <returns>A new CPU float32 tensor <c>[3, H, W]</c> in <c>[0, 1]</c>; the caller disposes it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ImageDecodeException">The file is not a readable image; the message names the path.</exception>
    public static Tensor DecodeFile(string path, ImageDecodeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Image file '{path}' does not exist.", path);
        return Decode(File.ReadAllBytes(path), path, options);
    }

    /// <summary>Decodes an encoded image held in memory.</summary>
    /// <param name="encoded">The encoded file bytes (PNG, JPEG, …).</param>
    /// <param name="name">A name for the image used in error messages (for example its origin).</param>
    /// <param name="options">Decoding options; <see cref="ImageDecodeOptions.Default"/> when null.</param>
    /// <returns>A new CPU float32 tensor <c>[3, H, W]</c> in <c>[0, 1]</c>; the caller disposes it.</returns>
    /// <exception cref="ImageDecodeException">The bytes are not a readable image; the message names <paramref name="name"/>.</exception>
    public static Tensor Decode(byte[] encoded, string name, ImageDecodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentNullException.ThrowIfNull(name);
        options ??= ImageDecodeOptions.Default;
        options.Validate();

        if (encoded.Length == 0) throw new ImageDecodeException(name, "the data is empty (0 bytes).");
        ImageInfo info = ReadHeader(encoded, name);
        long pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0)
            throw new ImageDecodeException(name, $"the header declares an empty image ({info.Width}×{info.Height}).");
        if (pixels > options.MaxPixels)
            throw new ImageDecodeException(name, $"the image is {info.Width}×{info.Height} = {pixels:N0} pixels, more than ImageDecodeOptions.MaxPixels = {options.MaxPixels:N0}.");

        try
        {
            return info.BitsPerChannel == 16
                ? Decode16Bit(encoded, name, options.Alpha)
                : Decode8Bit(encoded, name, options.Alpha);
        }
        catch (ImageDecodeException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // StbImageSharp reports malformed data with InvalidOperationException, but a hostile file can also
            // trip bounds checks inside the decoder (IndexOutOfRange, Overflow…): all of them mean "bad data".
            throw new ImageDecodeException(name, DescribeDecoderFailure(ex.Message, encoded), ex);
        }
    }

    /// <summary>Reads an encoded image from a stream (to its end) and decodes it.</summary>
    /// <param name="stream">A readable stream positioned at the start of the encoded image.</param>
    /// <param name="name">A name for the image used in error messages.</param>
    /// <param name="options">Decoding options; <see cref="ImageDecodeOptions.Default"/> when null.</param>
    /// <returns>A new CPU float32 tensor <c>[3, H, W]</c> in <c>[0, 1]</c>; the caller disposes it.</returns>
    /// <exception cref="ImageDecodeException">The data is not a readable image.</exception>
    public static Tensor Decode(Stream stream, string name, ImageDecodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Decode(buffer.ToArray(), name, options);
    }

    private static ImageInfo ReadHeader(byte[] encoded, string name)
    {
        ImageInfo? info;
        try
        {
            using var stream = new MemoryStream(encoded, writable: false);
            info = ImageInfo.FromStream(stream);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ImageDecodeException(name, $"the header is corrupt or truncated ({ReadableDecoderMessage(ex.Message)}).", ex);
        }
        return info ?? throw new ImageDecodeException(name, DescribeUnknownFormat(encoded));
    }

    private static Tensor Decode8Bit(byte[] encoded, string name, AlphaHandling alpha)
    {
        ImageResult result = ImageResult.FromMemory(encoded, ColorComponents.Default);
        int channels = ChannelCount(result.Data.LongLength, result.Width, result.Height, name);
        using Tensor interleaved = torch.tensor(result.Data, [result.Height, result.Width, channels]);
        return ToRgbTensor(interleaved, 255f, alpha);
    }

    private static unsafe Tensor Decode16Bit(byte[] encoded, string name, AlphaHandling alpha)
    {
        // StbImageSharp's ImageResult only exposes 8-bit output; its public 16-bit entry point returns
        // memory from its C runtime shim (Marshal.AllocHGlobal), which we free the same way.
        using var stream = new MemoryStream(encoded, writable: false);
        var context = new StbImage.stbi__context(stream);
        int width, height, channels;
        ushort* data = StbImage.stbi__load_and_postprocess_16bit(context, &width, &height, &channels, 0);
        if (data == null)
            throw new ImageDecodeException(name, DescribeDecoderFailure(StbImage.stbi__g_failure_reason ?? "unknown error", encoded));
        try
        {
            var samples = new ReadOnlySpan<ushort>(data, checked(width * height * channels));
            var widened = new int[samples.Length]; // TorchSharp has no uint16 tensors
            for (int i = 0; i < samples.Length; i++) widened[i] = samples[i];
            using Tensor interleaved = torch.tensor(widened, [height, width, channels]);
            return ToRgbTensor(interleaved, 65535f, alpha);
        }
        finally
        {
            Marshal.FreeHGlobal((IntPtr)data);
        }
    }

    private static int ChannelCount(long sampleCount, int width, int height, string name)
    {
        long pixels = (long)width * height;
        if (pixels == 0 || sampleCount % pixels != 0 || sampleCount / pixels is < 1 or > 4)
            throw new ImageDecodeException(name, $"the decoder returned {sampleCount} samples for a {width}×{height} image.");
        return (int)(sampleCount / pixels);
    }

    /// <summary>
    /// Interleaved <c>[H, W, C]</c> samples (grey, grey+alpha, RGB, RGBA) → planar RGB floats in [0, 1]. Done with tensor
    /// operations: a per-pixel C# loop was three times slower than decoding itself on multi-megapixel photos.
    /// </summary>
    private static Tensor ToRgbTensor(Tensor interleaved, float maxValue, AlphaHandling alpha)
    {
        using var scope = torch.NewDisposeScope();
        // Divide (not multiply by 1/max) so 8-bit values match torchvision's ToTensor bit for bit.
        Tensor planar = interleaved.permute(2, 0, 1).to(ScalarType.Float32).div_(maxValue);
        long channels = planar.shape[0];
        bool hasAlpha = channels is 2 or 4;
        Tensor colour = hasAlpha ? planar.narrow(0, 0, channels - 1) : planar;
        if (hasAlpha && alpha != AlphaHandling.Discard)
        {
            Tensor a = planar.narrow(0, channels - 1, 1);
            colour = alpha == AlphaHandling.CompositeOnWhite
                ? colour.mul(a).add_(a.neg().add_(1f))   // rgb·α + 1·(1 − α)
                : colour.mul(a);                         // rgb·α + 0·(1 − α)
        }
        Tensor rgb = colour.shape[0] == 1 ? colour.expand(3, -1, -1) : colour;
        return scope.MoveToOuter(rgb.contiguous());
    }

    private static string DescribeDecoderFailure(string decoderMessage, byte[] encoded)
        => $"the data is corrupt or truncated ({KnownFormatName(encoded) ?? "unknown format"}, {encoded.Length:N0} bytes; decoder said: {ReadableDecoderMessage(decoderMessage)}).";

    /// <summary>
    /// The decoder's message made fit for a log line: StbImageSharp sometimes builds it from bytes of the broken file
    /// (a truncated PNG gives a run of NULs), so control characters are dropped, whitespace collapsed, the length capped,
    /// and an empty result replaced by "no reason given".
    /// </summary>
    internal static string ReadableDecoderMessage(string? decoderMessage)
    {
        const int MaxLength = 200;
        var text = new System.Text.StringBuilder();
        foreach (char c in decoderMessage ?? "")
        {
            if (char.IsWhiteSpace(c)) { if (text.Length > 0 && text[^1] != ' ') text.Append(' '); }
            else if (!char.IsControl(c) && !char.IsSurrogate(c) && c != '\uFFFD') text.Append(c);
        }
        string readable = text.ToString().Trim().TrimEnd('.').TrimEnd();
        if (readable.Length > MaxLength) readable = readable[..MaxLength] + "…";
        return readable.Length == 0 ? "no reason given" : readable;
    }

    private static string DescribeUnknownFormat(byte[] encoded)
    {
        string? unsupported = UnsupportedFormatName(encoded);
        if (unsupported is not null)
            return $"{unsupported} images are not supported; convert the image to PNG or JPEG first.";
        return KnownFormatName(encoded) is { } known
            ? $"the {known} header is corrupt or truncated ({encoded.Length:N0} bytes)."
            : $"the data is not a JPEG, PNG, BMP, GIF, TGA, PSD or PNM image (first bytes: {Convert.ToHexString(encoded, 0, Math.Min(8, encoded.Length))}).";
    }

    private static string? KnownFormatName(ReadOnlySpan<byte> b) => b switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "PNG",
        [0xFF, 0xD8, ..] => "JPEG",
        [(byte)'G', (byte)'I', (byte)'F', ..] => "GIF",
        [(byte)'B', (byte)'M', ..] => "BMP",
        [(byte)'8', (byte)'B', (byte)'P', (byte)'S', ..] => "PSD",
        _ => null,
    };

    private static string? UnsupportedFormatName(ReadOnlySpan<byte> b) => b switch
    {
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "WebP",
        [(byte)'I', (byte)'I', 42, 0, ..] or [(byte)'M', (byte)'M', 0, 42, ..] => "TIFF",
        [_, _, _, _, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'h', (byte)'e', (byte)'i', (byte)'c', ..] => "HEIC",
        [_, _, _, _, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'a', (byte)'v', (byte)'i', (byte)'f', ..] => "AVIF",
        _ => null,
    };
}
