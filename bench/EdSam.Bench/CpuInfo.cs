namespace EdSam.Bench;

/// <summary>What CPU the figures were measured on: they mean little without it.</summary>
internal static class CpuInfo
{
    public static string ModelName() => Field("model name") ?? "unknown";

    public static string VectorExtensions()
    {
        string flags = Field("flags") ?? "";
        var wanted = new[] { "avx2", "avx512f", "avx512_bf16", "amx_bf16" };
        var present = wanted.Where(w => flags.Split(' ').Contains(w)).ToArray();
        return present.Length == 0 ? "no AVX2" : string.Join(", ", present);
    }

    private static string? Field(string name)
    {
        if (!File.Exists("/proc/cpuinfo")) return null;
        return File.ReadLines("/proc/cpuinfo")
            .Where(l => l.StartsWith(name, StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(':') + 1)..].Trim())
            .FirstOrDefault();
    }
}
