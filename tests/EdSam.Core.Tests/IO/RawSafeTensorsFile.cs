using System.Buffers.Binary;
using System.Text;

namespace EdSam.Tests.IO;

/// <summary>Writes safetensors files byte by byte, so tests can build exactly the malformation they need.</summary>
internal static class RawSafeTensorsFile
{
    /// <summary>The 8-byte length prefix, the header text as UTF-8, then <paramref name="data"/>.</summary>
    public static byte[] Bytes(string headerJson, byte[] data, ulong? declaredHeaderLength = null) =>
        Bytes(Encoding.UTF8.GetBytes(headerJson), data, declaredHeaderLength);

    /// <summary>The 8-byte length prefix (the real length unless overridden), the header bytes, then <paramref name="data"/>.</summary>
    public static byte[] Bytes(byte[] header, byte[] data, ulong? declaredHeaderLength = null)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    /// <summary>Writes the file and returns its path.</summary>
    public static string Write(string path, string headerJson, byte[] data, ulong? declaredHeaderLength = null)
    {
        File.WriteAllBytes(path, Bytes(headerJson, data, declaredHeaderLength));
        return path;
    }

    /// <summary>Little-endian F32 bytes of <paramref name="values"/>.</summary>
    public static byte[] F32(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }
}
