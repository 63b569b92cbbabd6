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
