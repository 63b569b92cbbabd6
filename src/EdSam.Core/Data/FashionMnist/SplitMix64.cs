namespace EdSam.Data.FashionMnist;

/// <summary>A tiny, fully specified pseudo-random generator (Steele, Lea &amp; Flood's SplitMix64), so that every
/// rendering parameter depends only on (seed, domain, image id) — the same on every machine, .NET version and
/// batch composition, unlike a shared generator whose stream depends on what was drawn before.</summary>
internal struct SplitMix64
{
    private ulong state;

    public SplitMix64(ulong seed) => state = seed;

    /// <summary>A generator keyed by several values: each is folded in through the mixing function, so nearby
    /// keys (image 7 and image 8) give unrelated streams.</summary>
    public static SplitMix64 Keyed(int seed, long stream, long id)
    {
        ulong key = Mix(unchecked((ulong)seed) + 0x9E3779B97F4A7C15UL);
        key = Mix(key ^ unchecked((ulong)stream));
        key = Mix(key ^ unchecked((ulong)id));
        return new SplitMix64(key);
    }

    public ulong NextUInt64()
    {
        state = unchecked(state + 0x9E3779B97F4A7C15UL);
        return Mix(state);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int exclusiveMax) => (int)(NextUInt64() % (ulong)exclusiveMax);

    /// <summary>Fills <paramref name="values"/> with N(0, <paramref name="std"/>²) samples, using both outputs of
    /// each Box–Muller pair.</summary>
    public void FillGaussian(Span<float> values, double std)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - NextDouble())) * std;
            double angle = 2.0 * Math.PI * NextDouble();
            values[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < values.Length) values[i + 1] = (float)(radius * Math.Sin(angle));
        }
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
