namespace EdSam.Diffusion.Schedulers;

/// <summary>How the noise variances β₁…β_T are laid out over the training timesteps.</summary>
public enum BetaSchedule
{
    /// <summary>β linear from <c>BetaStart</c> to <c>BetaEnd</c> (Ho et al., 2020).</summary>
    Linear,

    /// <summary>√β linear from √<c>BetaStart</c> to √<c>BetaEnd</c> (latent diffusion / Stable Diffusion).</summary>
    ScaledLinear,

    /// <summary>ᾱ(t) = cos²(((t/T + s)/(1 + s))·π/2) with s = 0.008, β capped at 0.999 (Nichol &amp; Dhariwal, 2021).</summary>
    Cosine,
}

/// <summary>What the denoising network predicts.</summary>
public enum PredictionType
{
    /// <summary>The noise ε that was added (Ho et al., 2020).</summary>
    Epsilon,

    /// <summary>The velocity v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans &amp; Ho, 2022).</summary>
    VPrediction,

    /// <summary>The clean sample x₀ itself.</summary>
    Sample,
}

/// <summary>How inference timesteps are picked from the training timesteps (Lin et al., 2023, table 2).</summary>
public enum TimestepSpacing
{
    /// <summary>0, k, 2k, … (+ offset), reversed: the DDIM paper's choice.</summary>
    Leading,

    /// <summary>T−1, T−1−k, …: always starts at the last training step (needed with zero terminal SNR).</summary>
    Trailing,

    /// <summary>Evenly spaced over [0, T−1], rounded.</summary>
    Linspace,
}
