using EdSam.Clip;
using EdSam.Data.Augmentation;
using EdSam.Diffusion.Models;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace EdSam.Diffusion;

/// <summary>
/// Options of <see cref="EdSamTrainer"/>: CLIP fine-tuning with L = L_CLIP(x, p) + w·L_CLIP(x*, p) (symmetric InfoNCE
/// with CLIP's learnable temperature), AdamW with CLIP's betas, linear warm-up then cosine decay, gradient clipping,
/// checkpoints. Defaults suit fine-tuning a pretrained CLIP on a domain-generalization benchmark.
/// </summary>
public sealed record EdSamOptions
{
    /// <summary>w: the weight of the adversarial term L_CLIP(x*, p). 0 trains plain CLIP (no adversarial samples are
    /// requested at all).</summary>
    /// <value>The default value is 1 (ED-SAM).</value>
    [Range(0.0, 1000.0)]
    public double AdversarialWeight { get; init; } = 1.0;

    /// <summary>Passes over the training examples.</summary>
    /// <value>The default value is 10.</value>
    [Range(1, 1_000_000)]
    public int Epochs { get; init; } = 10;

    /// <summary>Real examples per optimisation step (the adversarial term adds one x* per example that has one).</summary>
    /// <value>The default value is 32.</value>
    [Range(1, 1_000_000)]
    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate of AdamW, reached at the end of warm-up.</summary>
    /// <value>The default value is 1e-5 (fine-tuning a pretrained CLIP).</value>
    [Range(1e-12, 10.0)]
    public double LearningRate { get; init; } = 1e-5;

    /// <summary>Learning rate at the end of the cosine decay.</summary>
    /// <value>The default value is 0.</value>
    [Range(0.0, 10.0)]
    public double MinLearningRate { get; init; }

    /// <summary>Linear warm-up steps (capped at the total number of steps).</summary>
    /// <value>The default value is 100.</value>
    [Range(0, 100_000_000)]
    public int WarmupSteps { get; init; } = 100;

    /// <summary>AdamW decoupled weight decay.</summary>
    /// <value>The default value is 0.1.</value>
    [Range(0.0, 10.0)]
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>AdamW β₁.</summary>
    /// <value>The default value is 0.9.</value>
    [Range(0.0, 0.999999)]
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW β₂.</summary>
    /// <value>The default value is 0.98 (CLIP's).</value>
    [Range(0.0, 0.999999)]
    public double Beta2 { get; init; } = 0.98;

    /// <summary>AdamW ε.</summary>
    /// <value>The default value is 1e-6 (CLIP's).</value>
    [Range(1e-12, 1.0)]
    public double Epsilon { get; init; } = 1e-6;

    /// <summary>Gradients are scaled so their total L2 norm is at most this.</summary>
    /// <value>The default value is 1.</value>
    [Range(1e-9, 1e9)]
    public double MaxGradientNorm { get; init; } = 1.0;

    /// <summary>Seed of everything random: data order, the choice among each example's M samples, torch's default
    /// generator. The same seed gives the same losses and weights on CPU, with or without interruptions.</summary>
    /// <value>The default value is 0.</value>
    public long Seed { get; init; }

    /// <summary>
    /// Random augmentation of every real training image (pixels in [0, 1], before the model's own preprocessing), e.g.
    /// DomainBed's crop, flip, colour jitter and grayscale. Each image's draws come from (<see cref="Seed"/>, step, row),
    /// so runs and resumed runs repeat exactly. The adversarial samples x* are used as generated. Null trains on the
    /// images as they are, like CLIP fine-tuning recipes that only resize and crop.
    /// </summary>
    /// <value>The default value is null (no augmentation).</value>
    public IImageTransform? Augmentation { get; init; }

    /// <summary>How real images become the model's input (resize, crop, mean/std): the model's own preprocessing, as
    /// <c>ClipPretrained.Resolve(…).ReadPreprocessorOptions(config)</c> reads it from a checkpoint. Its crop size must be
    /// the model's image size.</summary>
    /// <value>The default value is null: CLIP's preprocessing (OpenAI mean/std, bicubic) at the model's image size.</value>
    public ImagePreprocessorOptions? Preprocessing { get; init; }

    /// <summary>Threads that decode, augment and preprocess each batch's images (results do not depend on it: every
    /// row's draws are keyed by step and row). Raise it when decoding dominates — large JPEGs, a GPU waiting for
    /// batches; on a CPU whose cores already run the model, extra workers compete with torch's own threads (the demo's
    /// 24-px CLIP stages ran 1.4–1.7× slower with 2 on 2 cores).</summary>
    /// <value>The default value is 1 (on the training thread).</value>
    [Range(1, 256)]
    public int Workers { get; init; } = 1;

    /// <summary>Where training runs; the model is moved there. CPU when null.</summary>
    /// <value>The default value is null (CPU).</value>
    public Device? Device { get; init; }

    /// <summary>Folder of the checkpoints (<c>step-000123/</c>); <see cref="EdSamTrainer"/> resumes from the newest one in
    /// it. Null disables checkpointing (and resuming).</summary>
    /// <value>The default value is null.</value>
    public string? CheckpointDirectory { get; init; }

    /// <summary>A checkpoint is written every this many steps, at the end, and when cancelled.</summary>
    /// <value>The default value is 500.</value>
    [Range(1, int.MaxValue)]
    public int CheckpointEvery { get; init; } = 500;

    /// <summary>How many of the newest checkpoints are kept.</summary>
    /// <value>The default value is 3.</value>
    [Range(1, 10_000)]
    public int KeepLastCheckpoints { get; init; } = 3;

    /// <summary>Receives progress and checkpoint messages; null for none.</summary>
    /// <value>The default value is null.</value>
    public ILogger? Logger { get; init; }

    /// <summary>Throws one <see cref="OptionsValidationException"/> listing every invalid property.</summary>
    /// <returns>This instance.</returns>
    /// <exception cref="OptionsValidationException">One or more options are out of range; the message lists each.</exception>
    public EdSamOptions Validate()
    {
        var messages = RecordValidation.AttributeErrors(this);
        if (MinLearningRate > LearningRate) messages.Add($"The field MinLearningRate ({MinLearningRate}) must not exceed LearningRate ({LearningRate}).");
        if (CheckpointDirectory is { } dir && string.IsNullOrWhiteSpace(dir)) messages.Add("The field CheckpointDirectory must be null or name a folder (was blank).");
        try { Preprocessing?.Validate(); }
        catch (ArgumentException e) { messages.Add("Preprocessing: " + e.Message); }
        return RecordValidation.ThrowIfAny(this, messages);
    }
}
