using System.Buffers.Binary;
using System.IO.Compression;
using StbImageWriteSharp;

namespace EdSam.Tests.Imaging;

/// <summary>Encoded images made by the tests themselves (StbImageWriteSharp, or a hand-built PNG for 16-bit).</summary>
internal static class TestImages
{
    public static byte[] RandomPixels(int width, int height, int channels, int seed)
    {
        var pixels = new byte[width * height * channels];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    public static byte[] Png(byte[] interleaved, int width, int height, ColorComponents components)
    {
        using var stream = new MemoryStream();
        new ImageWriter().WritePng(interleaved, width, height, components, stream);
        return stream.ToArray();
    }

    public static byte[] Bmp(byte[] interleaved, int width, int height, ColorComponents components)
    {
        using var stream = new MemoryStream();
        new ImageWriter().WriteBmp(interleaved, width, height, components, stream);
        return stream.ToArray();
    }

    public static byte[] Tga(byte[] interleaved, int width, int height, ColorComponents components)
    {
        using var stream = new MemoryStream();
        new ImageWriter().WriteTga(interleaved, width, height, components, stream);
        return stream.ToArray();
    }

    public static byte[] Jpeg(byte[] interleaved, int width, int height, int quality)
    {
        using var stream = new MemoryStream();
        new ImageWriter().WriteJpg(interleaved, width, height, ColorComponents.RedGreenBlue, stream, quality);
        return stream.ToArray();
    }

    /// <summary>A 16-bit-per-sample PNG built from the PNG specification (colour type 0 grey or 2 RGB).</summary>
    public static byte[] Png16(ushort[] interleaved, int width, int height, int channels)
    {
        byte colourType = channels switch { 1 => 0, 3 => 2, _ => throw new ArgumentOutOfRangeException(nameof(channels)) };
        var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter type None
            for (int i = 0; i < width * channels; i++)
            {
                ushort sample = interleaved[y * width * channels + i];
                raw.WriteByte((byte)(sample >> 8));
                raw.WriteByte((byte)sample);
            }
        }
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) raw.WriteTo(zlib);

        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 16;
        header[9] = colourType;
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>
    /// A GIF89a with a 4-colour global palette built from the GIF specification. The LZW stream sends a clear code
    /// before every second pixel, so codes stay 3 bits wide and no compression logic is needed.
    /// </summary>
    public static byte[] Gif(byte[] indices, int width, int height, byte[][] palette)
    {
        var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        gif.Write([(byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0b1000_0001, 0, 0]); // global table of 2^(1+1) colours
        foreach (byte[] rgb in palette) gif.Write(rgb);
        gif.Write([0x2C, 0, 0, 0, 0, (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8), 0]);
        const int clear = 4, end = 5;
        var codes = new List<int>();
        for (int i = 0; i < indices.Length; i++)
        {
            if (i % 2 == 0) codes.Add(clear);
            codes.Add(indices[i]);
        }
        codes.Add(end);
        var data = new List<byte>();
        int bitBuffer = 0, bitCount = 0;
        foreach (int code in codes)
        {
            bitBuffer |= code << bitCount;
            bitCount += 3;
            while (bitCount >= 8) { data.Add((byte)bitBuffer); bitBuffer >>= 8; bitCount -= 8; }
        }
        if (bitCount > 0) data.Add((byte)bitBuffer);
        gif.WriteByte(2); // LZW minimum code size
        for (int at = 0; at < data.Count; at += 255)
        {
            int length = Math.Min(255, data.Count - at);
            gif.WriteByte((byte)length);
            gif.Write(data.GetRange(at, length).ToArray());
        }
        gif.WriteByte(0);    // end of image data
        gif.WriteByte(0x3B); // trailer
        return gif.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        png.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
