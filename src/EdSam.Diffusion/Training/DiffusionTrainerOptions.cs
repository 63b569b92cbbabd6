using System.ComponentModel.DataAnnotations;
using EdSam.Diffusion.Models;
using EdSam.Training;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Training;

/// <summary>
/// Options of <see cref="DiffusionTrainer"/>. The objective (ε, v or x₀ target) and the noise schedule come from the
/// model's <see cref="Schedulers.SchedulerConfig"/>, so they are saved with it.
/// </summary>
public sealed record DiffusionTrainerOptions
{
    /// <summary>Number of optimisation steps (one batch each).</summary>
    /// <value>The default value is 10 000.</value>
    [Range(1, int.MaxValue)]
    public int Steps { get; init; } = 10_000;

    /// <summary>Batch size when training from in-memory tensors (<c>DiffusionTrainer.Fit(images, …)</c>); streamed batches keep their own size.</summary>
    /// <value>The default value is 32.</value>
    [Range(1, 1 << 20)]
    public int BatchSize { get; init; } = 32;

    /// <summary>AdamW learning rate (after warm-up).</summary>
    /// <value>The default value is 1e-4 (diffusers' unconditional training; tiny CPU models like 1e-3).</value>
    [Range(1e-12, 10.0)]
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>AdamW decoupled weight decay.</summary>
    /// <value>The default value is 0.01 (PyTorch's AdamW default).</value>
    [Range(0.0, 10.0)]
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Linear warm-up steps; with <see cref="CosineDecay"/> the rate then follows a cosine to 0, otherwise it stays constant.</summary>
    /// <value>The default value is 0.</value>
    [Range(0, int.MaxValue)]
    public int WarmupSteps { get; init; }

    /// <summary>Decay the learning rate to 0 along a cosine over <see cref="Steps"/>.</summary>
    /// <value>The default value is false (constant, as DDPM).</value>
    public bool CosineDecay { get; init; }

    /// <summary>Gradient-norm clipping bound; 0 disables clipping.</summary>
    /// <value>The default value is 1.</value>
    [Range(0.0, 1e6)]
    public double MaxGradientNorm { get; init; } = 1.0;

    /// <summary>Decay of the exponential moving average of the weights; 0 disables the EMA.</summary>
    /// <value>The default value is 0.9999 (DDPM).</value>
    [Range(0.0, 0.999999999)]
    public double EmaDecay { get; init; } = 0.9999;

    /// <summary>Probability that a sample's condition is replaced by the null condition during training (classifier-free guidance, Ho &amp; Salimans 2022).</summary>
    /// <value>The default value is 0.1.</value>
    [Range(0.0, 1.0)]
    public double ConditioningDropout { get; init; } = 0.1;

    /// <summary>Write a checkpoint every this many steps (and when cancelled, and at the end); 0 = only at the end and on cancellation. Needs <see cref="CheckpointDirectory"/>.</summary>
    /// <value>The default value is 1000.</value>
    [Range(0, int.MaxValue)]
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>Folder of the <c>step-…</c> checkpoints; <c>Fit</c> resumes from the newest one there. Null disables checkpoints (and resuming).</summary>
    /// <value>The default value is null.</value>
    public string? CheckpointDirectory { get; init; }

    /// <summary>How many of the newest checkpoints are kept.</summary>
    /// <value>The default value is 3.</value>
    [Range(1, 1000)]
    public int KeepLastCheckpoints { get; init; } = 3;

    /// <summary>Seed of every random draw of the run (noise, timesteps, conditioning dropout, data order, dropout layers).</summary>
    /// <value>The default value is 0.</value>
    public long Seed { get; init; }

    /// <summary>Where training runs; CPU when null.</summary>
    /// <value>The default value is null (CPU).</value>
    public Device? Device { get; init; }

    /// <summary>Receives progress and checkpoint messages; null for none.</summary>
    /// <value>The default value is null.</value>
    public ILogger? Logger { get; init; }

    /// <summary>Throws one <see cref="OptionsValidationException"/> listing every invalid property; returns these options otherwise.</summary>
    public DiffusionTrainerOptions Validate()
    {
        var errors = RecordValidation.AttributeErrors(this);
        if (CheckpointEvery > 0 && CheckpointDirectory is null)
            errors.Add($"The field CheckpointEvery ({CheckpointEvery}) needs a CheckpointDirectory; set CheckpointEvery = 0 to train without checkpoints.");
        if (CheckpointDirectory is not null && string.IsNullOrWhiteSpace(CheckpointDirectory))
            errors.Add("The field CheckpointDirectory must not be empty.");
        if (WarmupSteps > Steps)
            errors.Add($"The field WarmupSteps ({WarmupSteps}) must not exceed Steps ({Steps}).");
        return RecordValidation.ThrowIfAny(this, errors);
    }

    /// <summary>The learning-rate schedule these options describe (a cosine whose floor equals its peak is a warm-up then a constant).</summary>
    internal LearningRateSchedule Schedule() =>
        WarmupSteps == 0 && !CosineDecay
            ? LearningRateSchedule.Constant(LearningRate)
            : LearningRateSchedule.WarmupCosine(LearningRate, WarmupSteps, Steps, minLearningRate: CosineDecay ? 0 : LearningRate);
}
