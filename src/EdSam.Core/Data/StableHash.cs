using System.Text;

namespace EdSam.Data;

/// <summary>Process-independent hashing for derived seeds (FNV-1a, 32 bit): <see cref="string.GetHashCode()"/>
/// changes from run to run, and a seed derived from it would make "seeded" results unrepeatable.</summary>
internal static class StableHash
{
    private const uint Offset = 2166136261;
    private const uint Prime = 16777619;

    public static int Combine(int seed, string text)
    {
        uint hash = Mix(Offset, unchecked((uint)seed));
        foreach (byte b in Encoding.UTF8.GetBytes(text)) hash = (hash ^ b) * Prime;
        return unchecked((int)hash);
    }

    public static int Combine(int seed, long a, long b = 0)
    {
        uint hash = Mix(Offset, unchecked((uint)seed));
        hash = Mix(hash, unchecked((ulong)a));
        hash = Mix(hash, unchecked((ulong)b));
        return unchecked((int)hash);
    }

    private static uint Mix(uint hash, ulong value)
    {
        for (int i = 0; i < 8; i++, value >>= 8) hash = (hash ^ (byte)value) * Prime;
        return hash;
    }
}
