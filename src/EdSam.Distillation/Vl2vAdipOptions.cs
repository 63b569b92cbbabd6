using EdSam.Clip;
using EdSam.Data.Augmentation;
using EdSam.Distillation.Students;
using EdSam.Training;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace EdSam.Distillation;

/// <summary>
/// Options of <see cref="Vl2vAdipTrainer"/>. Defaults are the published recipe of VL2V-ADiP (Addepalli et al., CVPR 2024):
/// Adam, learning rate 5e-5, no weight decay, 32 images per source domain per step, 5,001 steps per stage, evaluation
/// every 200 steps, DomainBed augmentation, λ = 0.5, SWAD on both stages.
/// </summary>
public sealed record Vl2vAdipOptions
{
    /// <summary>The CLIP teacher. It is put in eval mode and never trained; its image size is the training image size. Required.</summary>
    /// <value>The default value is null (must be set).</value>
    public ClipModel? Teacher { get; init; }

    /// <summary>The teacher's tokenizer, used to embed the class prompts. Either this or <see cref="Tokenize"/> is required (except for <see cref="DistillationMethod.Erm"/>).</summary>
    /// <value>The default value is null.</value>
    public ClipTokenizer? Tokenizer { get; init; }

    /// <summary>Any tokenization function (prompts → int64 <c>[n, context]</c>); takes precedence over <see cref="Tokenizer"/>.</summary>
    /// <value>The default value is null.</value>
    public Func<IReadOnlyList<string>, Tensor>? Tokenize { get; init; }

    /// <summary>The method to train.</summary>
    /// <value>The default value is <see cref="DistillationMethod.Vl2vAdip"/>.</value>
    public DistillationMethod Method { get; init; } = DistillationMethod.Vl2vAdip;

    /// <summary>The student backbone (ignored by <see cref="DistillationMethod.Vl2vSd"/>, whose student is the teacher's image encoder).</summary>
    /// <value>The default value is <see cref="StudentArchitecture.ResNet50"/>.</value>
    public StudentArchitecture Student { get; init; } = StudentArchitecture.ResNet50;

    /// <summary>ImageNet weights of the student (<c>.safetensors</c>, torchvision/timm keys); null for random initialisation.</summary>
    /// <value>The default value is null.</value>
    public string? StudentWeightsPath { get; init; }

    /// <summary>
    /// Side of the student's square input in pixels; null uses the teacher's. Training images are augmented once at the
    /// teacher's size (both models see the same view) and resized for the student, so a ViT-S/16 student with its
    /// ImageNet weights at 224 px can learn from a 336-px CLIP teacher. VL2V-SD's student is the teacher's encoder and
    /// always uses its size.
    /// </summary>
    /// <value>The default value is null (the teacher's image size).</value>
    public int? StudentImageSize { get; init; }

    /// <summary>Pixel normalisation of the teacher's input: the teacher checkpoint's own mean/std (for a loaded checkpoint,
    /// <c>new Normalize(preprocessing.Mean, preprocessing.Std)</c> from <c>ClipPretrainedFiles.ReadPreprocessorOptions</c>).
    /// VL2V-SD's student, which is the teacher's image tower, gets it too.</summary>
    /// <value>The default value is <see cref="Normalize.Clip"/> (OpenAI's mean/std, which OpenAI and most OpenCLIP checkpoints use).</value>
    public Normalize TeacherNormalization { get; init; } = Normalize.Clip;

    /// <summary>Pixel normalisation of the student's input. VL2V-SD uses <see cref="TeacherNormalization"/>.</summary>
    /// <value>The default value is <see cref="Normalize.ImageNet"/> (what ImageNet-pretrained students were trained with).</value>
    public Normalize StudentNormalization { get; init; } = Normalize.ImageNet;

    /// <summary>Prompts of the text classifier T_c when <see cref="Templates"/> is null.</summary>
    /// <value>The default value is <see cref="PromptStyle.Photo"/>.</value>
    public PromptStyle Prompts { get; init; } = PromptStyle.Photo;

    /// <summary>Explicit prompt templates (<c>{}</c> or <c>{class}</c> placeholder), averaged per class; overrides <see cref="Prompts"/>.</summary>
    /// <value>The default value is null.</value>
    public IReadOnlyList<string>? Templates { get; init; }

    /// <summary>λ of the loss L = λ·(−cos(z, I(x))) + (1−λ)·(−cos(z, T_y)), in [0, 1].</summary>
    /// <value>The default value is 0.5.</value>
    public double Lambda { get; init; } = Vl2vAdipDefaults.Lambda;

    /// <summary>Adam's learning rate (constant).</summary>
    /// <value>The default value is 5e-5.</value>
    public double LearningRate { get; init; } = Vl2vAdipDefaults.LearningRate;

    /// <summary>Adam's (L2) weight decay.</summary>
    /// <value>The default value is 0.</value>
    public double WeightDecay { get; init; }

    /// <summary>Images drawn from each source domain per step.</summary>
    /// <value>The default value is 32.</value>
    public int BatchSizePerDomain { get; init; } = Vl2vAdipDefaults.BatchSizePerDomain;

    /// <summary>Optimisation steps of stage 1 (align P, backbone frozen). Only <see cref="DistillationMethod.Vl2vAdip"/> has this stage.</summary>
    /// <value>The default value is 5001.</value>
    public int AlignSteps { get; init; } = Vl2vAdipDefaults.Steps;

    /// <summary>Optimisation steps of stage 2 (distil into the backbone), and of the single stage of VL2V-SD, ERM and KD.</summary>
    /// <value>The default value is 5001.</value>
    public int DistillSteps { get; init; } = Vl2vAdipDefaults.Steps;

    /// <summary>Steps between evaluations on the source-domain validation split (the last step is always evaluated).</summary>
    /// <value>The default value is 200.</value>
    public int EvaluateEvery { get; init; } = Vl2vAdipDefaults.EvaluateEvery;

    /// <summary>DomainBed augmentation of training images: RandomResizedCrop(0.7–1), flip, ColorJitter(0.3×4), RandomGrayscale(0.1). Off: resize + centre crop.</summary>
    /// <value>The default value is true.</value>
    public bool Augment { get; init; } = true;

    /// <summary>SWAD dense weight averaging in every stage; the returned model is the average over the loss valley.</summary>
    /// <value>The default value is true.</value>
    public bool UseSwad { get; init; } = true;

    /// <summary>SWAD's loss-valley detection (N_s = 3, N_e = 6, tolerance ratio 0.3).</summary>
    /// <value>The default value is <c>new SwadWindowOptions()</c>.</value>
    public SwadWindowOptions Swad { get; init; } = new();

    /// <summary>Temperature T of the KD baseline's softened distributions.</summary>
    /// <value>The default value is 2.</value>
    public double KdTemperature { get; init; } = 2.0;

    /// <summary>α of the KD baseline: loss = (1−α)·CE + α·T²·KL(teacher ‖ student).</summary>
    /// <value>The default value is 0.5.</value>
    public double KdWeight { get; init; } = 0.5;

    /// <summary>
    /// A <see cref="TeacherEmbeddingCache"/> file for the teacher's embeddings of the un-augmented validation images (used by
    /// the <see cref="Vl2vAdipEvaluation.ValidationDistillationLoss"/> metric), reused across runs. Training images are
    /// augmented, so their teacher embeddings are always computed on the fly from the same augmented view the student
    /// sees. Null: computed once per <c>Fit</c>, in memory. Needs <see cref="TeacherIdentity"/>.
    /// </summary>
    /// <value>The default value is null.</value>
    public string? TeacherCachePath { get; init; }

    /// <summary>Who the teacher is (name and weights hash) for <see cref="TeacherCachePath"/>; the trainer appends its own preprocessing description.</summary>
    /// <value>The default value is null.</value>
    public TeacherCacheIdentity? TeacherIdentity { get; init; }

    /// <summary>Threads decoding and augmenting images (each row's augmentation is seeded on its own, so results do not depend on it).</summary>
    /// <value>The default value is min(4, processor count).</value>
    public int Workers { get; init; } = Math.Min(4, Environment.ProcessorCount);

    /// <summary>Images per batch when evaluating.</summary>
    /// <value>The default value is 64.</value>
    public int EvaluationBatchSize { get; init; } = 64;

    /// <summary>Seed of the student's initialisation, the data order, the augmentations and torch's default generator.</summary>
    /// <value>The default value is 0.</value>
    public long Seed { get; init; }

    /// <summary>Where to train; null for the CPU. The teacher is moved there.</summary>
    /// <value>The default value is null (CPU).</value>
    public Device? Device { get; init; }

    /// <summary>Folder for checkpoints (one sub-folder per stage); <c>Fit</c> resumes from the newest one. Null: no checkpoints.</summary>
    /// <value>The default value is null.</value>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Steps between checkpoints; null checkpoints at every evaluation.</summary>
    /// <value>The default value is null.</value>
    public int? CheckpointEvery { get; init; }

    /// <summary>Stops training after the current step (a checkpoint is written first when <see cref="CheckpointDirectory"/> is set).</summary>
    /// <value>The default value is <see cref="CancellationToken.None"/>.</value>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Receives a report after every step (stages <c>"align"</c>, <c>"distill"</c>) with validation metrics at evaluations.</summary>
    /// <value>The default value is null.</value>
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>Receives stage, evaluation and SWAD messages.</summary>
    /// <value>The default value is null.</value>
    public ILogger? Logger { get; init; }

    /// <summary>Checks every option and reports all problems at once.</summary>
    /// <exception cref="OptionsValidationException">One or more options are invalid; the message lists each.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public Vl2vAdipOptions Validate()
    {
        var errors = new List<string>();
        if (Teacher is null) errors.Add("Teacher: a CLIP model is required.");
        if (Tokenizer is null && Tokenize is null && Method != DistillationMethod.Erm)
            errors.Add($"Tokenizer: {Method} needs the teacher's tokenizer (or a Tokenize function) to embed the class prompts.");
        if (!Enum.IsDefined(Method)) errors.Add($"Method: unknown value {(int)Method}.");
        if (!Enum.IsDefined(Student)) errors.Add($"Student: unknown value {(int)Student}.");
        if (!Enum.IsDefined(Prompts)) errors.Add($"Prompts: unknown value {(int)Prompts}.");
        if (StudentImageSize is < 1) errors.Add($"StudentImageSize: must be positive (or null for the teacher's size); got {StudentImageSize}.");
        if (StudentNormalization is null) errors.Add("StudentNormalization: must not be null.");
        if (StudentWeightsPath is not null && string.IsNullOrWhiteSpace(StudentWeightsPath)) errors.Add("StudentWeightsPath: must be null or a file path; got an empty string.");
        if (Templates is not null && Templates.Count == 0) errors.Add("Templates: must be null or hold at least one template.");
        if (!(Lambda >= 0 && Lambda <= 1)) errors.Add($"Lambda: must be in [0, 1]; got {Lambda}.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) errors.Add($"LearningRate: must be positive and finite; got {LearningRate}.");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) errors.Add($"WeightDecay: must be finite and ≥ 0; got {WeightDecay}.");
        if (BatchSizePerDomain < 1) errors.Add($"BatchSizePerDomain: must be at least 1; got {BatchSizePerDomain}.");
        if (AlignSteps < 1) errors.Add($"AlignSteps: must be at least 1; got {AlignSteps}.");
        if (DistillSteps < 1) errors.Add($"DistillSteps: must be at least 1; got {DistillSteps}.");
        if (EvaluateEvery < 1) errors.Add($"EvaluateEvery: must be at least 1; got {EvaluateEvery}.");
        if (!(KdTemperature > 0) || !double.IsFinite(KdTemperature)) errors.Add($"KdTemperature: must be positive and finite; got {KdTemperature}.");
        if (!(KdWeight >= 0 && KdWeight <= 1)) errors.Add($"KdWeight: must be in [0, 1]; got {KdWeight}.");
        if (Workers < 1) errors.Add($"Workers: must be at least 1; got {Workers}.");
        if (EvaluationBatchSize < 1) errors.Add($"EvaluationBatchSize: must be at least 1; got {EvaluationBatchSize}.");
        if (CheckpointDirectory is not null && string.IsNullOrWhiteSpace(CheckpointDirectory)) errors.Add("CheckpointDirectory: must be null or a folder path; got an empty string.");
        if (CheckpointEvery is < 1) errors.Add($"CheckpointEvery: must be null or at least 1; got {CheckpointEvery}.");
        if (TeacherCachePath is not null && (string.IsNullOrWhiteSpace(TeacherCachePath) || TeacherIdentity is null))
            errors.Add("TeacherCachePath: needs a file path and a TeacherIdentity (so a cache of another teacher is never used).");
        if (Swad is null) errors.Add("Swad: must not be null.");
        else
        {
            try { Swad.Validate(); }
            catch (ArgumentException e) { errors.Add("Swad: " + e.Message); }
        }
        OptionsValidationException.ThrowIfAny("Vl2vAdipOptions", errors);
        return this;
    }
}

/// <summary>The published recipe's numbers, in one place.</summary>
internal static class Vl2vAdipDefaults
{
    public const double Lambda = 0.5;
    public const double LearningRate = 5e-5;
    public const int BatchSizePerDomain = 32;
    public const int Steps = 5001;
    public const int EvaluateEvery = 200;
}
