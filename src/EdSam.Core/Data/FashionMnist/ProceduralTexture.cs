namespace EdSam.Data.FashionMnist;

/// <summary>The background of the <see cref="FashionMnistDomain.TintedTexture"/> domain: two pastel colours
/// blended by the sum of two plane waves of random frequency, orientation and phase, plus fine grain — stripes
/// and blotches like a brush-stroked canvas or a patterned cartoon background.</summary>
internal static class ProceduralTexture
{
    /// <summary>Fills a [3, size, size] planar RGB buffer with values in [0, 1], drawing from <paramref name="rng"/>.</summary>
    public static void Fill(Span<float> rgb, int size, ref SplitMix64 rng)
    {
        double hue = rng.NextDouble();
        var first = FashionMnistRenderer.HsvToRgb(hue, rng.Uniform(0.25, 0.6), rng.Uniform(0.75, 0.95));
        var second = FashionMnistRenderer.HsvToRgb(hue + rng.Uniform(0.15, 0.45), rng.Uniform(0.25, 0.6), rng.Uniform(0.55, 0.85));
        var waves = new (double Fx, double Fy, double Phase)[2];
        for (int w = 0; w < waves.Length; w++)
        {
            double cycles = rng.Uniform(1.5, 5.0); // per image side: independent of the output size
            double orientation = rng.Uniform(0, Math.PI);
            waves[w] = (cycles * Math.Cos(orientation), cycles * Math.Sin(orientation), rng.Uniform(0, 2 * Math.PI));
        }
        int plane = size * size;
        for (int y = 0; y < size; y++)
        {
            double v = (y + 0.5) / size;
            for (int x = 0; x < size; x++)
            {
                double u = (x + 0.5) / size;
                double mix = 0.5;
                foreach (var (fx, fy, phase) in waves) mix += 0.25 * Math.Sin(2 * Math.PI * (fx * u + fy * v) + phase);
                mix = Math.Clamp(mix + (rng.NextDouble() - 0.5) * 0.12, 0, 1);
                int at = y * size + x;
                rgb[at] = (float)(first.R + (second.R - first.R) * mix);
                rgb[plane + at] = (float)(first.G + (second.G - first.G) * mix);
                rgb[2 * plane + at] = (float)(first.B + (second.B - first.B) * mix);
            }
        }
    }
}
