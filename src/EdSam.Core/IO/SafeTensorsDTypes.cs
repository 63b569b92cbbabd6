using static TorchSharp.torch;

namespace EdSam.IO;

/// <summary>The safetensors dtype names EdSam reads and writes, and their TorchSharp element types.</summary>
internal static class SafeTensorsDTypes
{
    private static readonly (string Name, ScalarType Type, int Size)[] Supported =
    [
        ("F64", ScalarType.Float64, 8),
        ("F32", ScalarType.Float32, 4),
        ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2),
        ("I64", ScalarType.Int64, 8),
        ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2),
        ("I8", ScalarType.Int8, 1),
        ("U8", ScalarType.Byte, 1),
        ("BOOL", ScalarType.Bool, 1),
    ];

    // Names the format defines but TorchSharp 0.107 has no element type for: worth a more precise message.
    private static readonly HashSet<string> KnownButUnsupported =
        new(StringComparer.Ordinal) { "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64" };

    /// <summary>The supported names, for error messages.</summary>
    public static string SupportedNames => string.Join(", ", Supported.Select(d => d.Name));

    public static bool TryParse(string name, out ScalarType type, out int size)
    {
        foreach (var d in Supported)
        {
            if (d.Name == name)
            {
                (type, size) = (d.Type, d.Size);
                return true;
            }
        }
        (type, size) = (default, 0);
        return false;
    }

    public static bool IsKnownButUnsupported(string name) => KnownButUnsupported.Contains(name);

    public static bool TryGetName(ScalarType type, out string name, out int size)
    {
        foreach (var d in Supported)
        {
            if (d.Type == type)
            {
                (name, size) = (d.Name, d.Size);
                return true;
            }
        }
        (name, size) = (string.Empty, 0);
        return false;
    }
}
