namespace EdSam.Diffusion.Schedulers;

/// <summary>
/// The fixed forward-process tables of a diffusion model: β_t, α_t = 1 − β_t and ᾱ_t = ∏_{s≤t} α_s for
/// t = 0…T−1, computed in double precision once (the products lose digits in float32 over 1000 steps).
/// </summary>
public sealed class NoiseSchedule
{
    private const double CosineOffset = 0.008;   // s in Nichol & Dhariwal (2021), eq. 17
    private const double MaxCosineBeta = 0.999;  // their clipping, to avoid a singularity at t = T

    /// <summary>Builds the tables for a validated configuration.</summary>
    public NoiseSchedule(SchedulerConfig config)
    {
        config.Validate();
        int steps = config.NumTrainTimesteps;
        Betas = config.BetaSchedule switch
        {
            BetaSchedule.Linear => Linspace(config.BetaStart, config.BetaEnd, steps),
            BetaSchedule.ScaledLinear => Linspace(Math.Sqrt(config.BetaStart), Math.Sqrt(config.BetaEnd), steps).Select(b => b * b).ToArray(),
            BetaSchedule.Cosine => CosineBetas(steps),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.BetaSchedule, "unknown beta schedule"),
        };
        Alphas = Betas.Select(b => 1.0 - b).ToArray();
        AlphasCumprod = new double[steps];
        double product = 1.0;
        for (int t = 0; t < steps; t++) AlphasCumprod[t] = product *= Alphas[t];
    }

    /// <summary>β_t for t = 0…T−1.</summary>
    public IReadOnlyList<double> Betas { get; }

    /// <summary>α_t = 1 − β_t.</summary>
    public IReadOnlyList<double> Alphas { get; }

    /// <summary>ᾱ_t = ∏_{s≤t} α_s: x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε (Ho et al., 2020, eq. 4).</summary>
    public double[] AlphasCumprod { get; }

    /// <summary>Number of training timesteps T.</summary>
    public int Length => AlphasCumprod.Length;

    /// <summary>The first timestep whose ᾱ_t is at or below <paramref name="alphaCumprod"/> (e.g. ½ for ED-SAM's encoding depth).</summary>
    public int TimestepWhereAlphaCumprodReaches(double alphaCumprod)
    {
        if (alphaCumprod is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(alphaCumprod), alphaCumprod, "must lie in (0, 1)");
        for (int t = 0; t < AlphasCumprod.Length; t++)
            if (AlphasCumprod[t] <= alphaCumprod) return t;
        return AlphasCumprod.Length - 1;
    }

    private static double[] Linspace(double start, double end, int count) =>
        Enumerable.Range(0, count).Select(i => count == 1 ? start : start + (end - start) * i / (count - 1)).ToArray();

    private static double[] CosineBetas(int steps)
    {
        static double AlphaBar(double fraction) => Math.Pow(Math.Cos((fraction + CosineOffset) / (1 + CosineOffset) * Math.PI / 2), 2);
        var betas = new double[steps];
        for (int t = 0; t < steps; t++)
            betas[t] = Math.Min(1 - AlphaBar((t + 1.0) / steps) / AlphaBar((double)t / steps), MaxCosineBeta);
        return betas;
    }
}
