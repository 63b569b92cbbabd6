using EdSam.Diffusion.Models;
using System.ComponentModel.DataAnnotations;

namespace EdSam.Diffusion.Schedulers;

/// <summary>
/// Immutable configuration of a diffusion noise schedule, saved beside a trained model so it always comes back
/// with the schedule it was trained with. Defaults are those of DDPM (Ho et al., 2020).
/// </summary>
public sealed record SchedulerConfig
{
    /// <summary>Number of training timesteps T.</summary>
    /// <value>The default value is 1000.</value>
    [Range(2, 100_000)]
    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary>β₁.</summary>
    /// <value>The default value is 1e-4.</value>
    [Range(1e-8, 0.999)]
    public double BetaStart { get; init; } = 1e-4;

    /// <summary>β_T.</summary>
    /// <value>The default value is 0.02.</value>
    [Range(1e-8, 0.999)]
    public double BetaEnd { get; init; } = 0.02;

    /// <summary>How β is laid out between <see cref="BetaStart"/> and <see cref="BetaEnd"/> (ignored by <see cref="BetaSchedule.Cosine"/>).</summary>
    /// <value>The default value is <see cref="BetaSchedule.Linear"/>.</value>
    public BetaSchedule BetaSchedule { get; init; } = BetaSchedule.Linear;

    /// <summary>What the network predicts.</summary>
    /// <value>The default value is <see cref="PredictionType.Epsilon"/>.</value>
    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;

    /// <summary>How inference timesteps are chosen by <c>SetTimesteps</c>.</summary>
    /// <value>The default value is <see cref="TimestepSpacing.Leading"/>.</value>
    public TimestepSpacing TimestepSpacing { get; init; } = TimestepSpacing.Leading;

    /// <summary>Added to every <see cref="TimestepSpacing.Leading"/> timestep (Stable Diffusion uses 1).</summary>
    /// <value>The default value is 0.</value>
    [Range(0, 1000)]
    public int StepsOffset { get; init; }

    /// <summary>Clamp the predicted x₀ to [−<see cref="ClipSampleRange"/>, <see cref="ClipSampleRange"/>] (pixel-space models).</summary>
    /// <value>The default value is true.</value>
    public bool ClipSample { get; init; } = true;

    /// <summary>The clamp bound used when <see cref="ClipSample"/> is set.</summary>
    /// <value>The default value is 1.</value>
    [Range(1e-6, 1e6)]
    public double ClipSampleRange { get; init; } = 1.0;

    /// <summary>DDIM: use ᾱ = 1 for the step after the last one (the DDIM paper), else ᾱ₀.</summary>
    /// <value>The default value is true.</value>
    public bool SetAlphaToOne { get; init; } = true;

    /// <summary>Throws one <see cref="OptionsValidationException"/> listing every invalid property.</summary>
    public SchedulerConfig Validate()
    {
        var messages = RecordValidation.AttributeErrors(this);
        if (BetaSchedule != BetaSchedule.Cosine && BetaEnd < BetaStart)
            messages.Add($"The field BetaEnd ({BetaEnd}) must not be smaller than BetaStart ({BetaStart}).");
        if (!Enum.IsDefined(BetaSchedule)) messages.Add($"The field BetaSchedule has an unknown value {(int)BetaSchedule}.");
        if (!Enum.IsDefined(PredictionType)) messages.Add($"The field PredictionType has an unknown value {(int)PredictionType}.");
        if (!Enum.IsDefined(TimestepSpacing)) messages.Add($"The field TimestepSpacing has an unknown value {(int)TimestepSpacing}.");
        return RecordValidation.ThrowIfAny(this, messages);
    }
}
