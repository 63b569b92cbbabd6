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
        // sin(2π(fx·u + fy·v) + φ) = sin(2π fx u)·cos(2π fy v + φ) + cos(2π fx u)·sin(2π fy v + φ): per-column and
        // per-row factors, so the pixel loop has no trigonometry.
        var sinU = new double[waves.Length, size];
        var cosU = new double[waves.Length, size];
        var sinV = new double[waves.Length, size];
        var cosV = new double[waves.Length, size];
        for (int w = 0; w < waves.Length; w++)
            for (int i = 0; i < size; i++)
            {
                double t = (i + 0.5) / size;
                sinU[w, i] = Math.Sin(2 * Math.PI * waves[w].Fx * t);
                cosU[w, i] = Math.Cos(2 * Math.PI * waves[w].Fx * t);
                sinV[w, i] = Math.Sin(2 * Math.PI * waves[w].Fy * t + waves[w].Phase);
                cosV[w, i] = Math.Cos(2 * Math.PI * waves[w].Fy * t + waves[w].Phase);
            }
        int plane = size * size;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double mix = 0.5;
                for (int w = 0; w < waves.Length; w++) mix += 0.25 * (sinU[w, x] * cosV[w, y] + cosU[w, x] * sinV[w, y]);
                mix = Math.Clamp(mix + (rng.NextDouble() - 0.5) * 0.12, 0, 1);
                int at = y * size + x;
                rgb[at] = (float)(first.R + (second.R - first.R) * mix);
                rgb[plane + at] = (float)(first.G + (second.G - first.G) * mix);
                rgb[2 * plane + at] = (float)(first.B + (second.B - first.B) * mix);
            }
        }
    }
}
