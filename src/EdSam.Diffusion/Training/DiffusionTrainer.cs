using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using EdSam.Diffusion.Autoencoders;
using EdSam.Diffusion.Models;
using EdSam.Diffusion.Schedulers;
using EdSam.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Training;

/// <summary>
/// Trains a <see cref="UNet2D"/> with the standard denoising objective (Ho et al. 2020, Algorithm 1): per image draw
/// t ~ U{0…T−1} and ε ~ N(0, I), form x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε, and minimise the mean squared error between the
/// model output and ε, v (Salimans &amp; Ho 2022) or x₀ — whichever the model's <see cref="SchedulerConfig.PredictionType"/> says.
/// Conditions are dropped to the null condition with probability <see cref="DiffusionTrainerOptions.ConditioningDropout"/>
/// so the model also learns the unconditional score classifier-free guidance needs.
/// </summary>
/// <remarks>
/// <para>AdamW, optional warm-up/cosine schedule, gradient clipping, an EMA of the weights, checkpoints (model,
/// optimiser, EMA, RNG) every <see cref="DiffusionTrainerOptions.CheckpointEvery"/> steps through EdSam's
/// <see cref="CheckpointManager"/>. <c>Fit</c> resumes from the newest checkpoint in the folder and then produces the
/// same losses as an uninterrupted run (on CPU).</para>
/// <para>When the EMA is on, the model holds the EMA weights after <c>Fit</c> returns (the weights to sample and save
/// with); checkpoints keep the raw weights and the EMA separately.</para>
/// </remarks>
public sealed class DiffusionTrainer
{
    /// <summary>The <see cref="TrainingProgress.Stage"/> this trainer reports.</summary>
    public const string Stage = "diffusion";

    /// <summary>Creates a trainer for <paramref name="model"/>.</summary>
    /// <param name="model">The UNet to train in place (its scheduler config defines the objective).</param>
    /// <param name="options">Training options (validated here).</param>
    /// <param name="autoencoder">Maps batch images to diffusion space; null = pixel diffusion (<see cref="IdentityAutoencoder"/>).</param>
    /// <exception cref="OptionsValidationException">The options are invalid (every error listed).</exception>
    /// <exception cref="ArgumentException">The autoencoder's latent channels differ from the model's input channels.</exception>
    public DiffusionTrainer(UNet2D model, DiffusionTrainerOptions options, IAutoencoder? autoencoder = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
        Model = model;
        Autoencoder = autoencoder ?? new IdentityAutoencoder(model.Config.InChannels);
        if (Autoencoder.LatentChannels != model.Config.InChannels)
            throw new ArgumentException($"The autoencoder produces {Autoencoder.LatentChannels}-channel latents but the UNet expects InChannels = {model.Config.InChannels}.", nameof(autoencoder));
    }

    /// <summary>The model being trained.</summary>
    public UNet2D Model { get; }

    /// <summary>The options.</summary>
    public DiffusionTrainerOptions Options { get; }

    /// <summary>Maps images to diffusion space.</summary>
    public IAutoencoder Autoencoder { get; }

    /// <summary>Trains on an in-memory data set, in a seeded per-epoch random order (incomplete last batches dropped).</summary>
    /// <param name="images">float [M, C, H, W] in [0, 1].</param>
    /// <param name="labels">int64 [M] class labels (−1 = unlabelled), or null.</param>
    /// <param name="textEmbeddings">float [M, D] text features, or null.</param>
    /// <param name="progress">Receives a report after every step.</param>
    /// <param name="cancellationToken">Stops after the current step; a checkpoint is written first when checkpoints are on.</param>
    /// <returns>The losses of the steps run by this call.</returns>
    /// <exception cref="OperationCanceledException">Cancelled (after checkpointing).</exception>
    /// <exception cref="NonFiniteLossException">A loss was NaN or infinite (names the step and the last good checkpoint).</exception>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    /// <exception cref="CheckpointException">The checkpoint folder holds a checkpoint of a different model/optimiser.</exception>
    public DiffusionTrainingResult Fit(Tensor images, Tensor? labels = null, Tensor? textEmbeddings = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        var source = new TensorBatchSource(images, labels, textEmbeddings, Options.BatchSize, Options.Seed);
        return Run(source, progress, cancellationToken);
    }

    /// <summary>
    /// Trains on a sequence of batches, enumerated again from the start whenever it ends. On resume the first
    /// (completed steps) batches are skipped: for an exact resume the sequence must yield the same batches each time.
    /// </summary>
    /// <param name="batches">The batches (see <see cref="DiffusionBatch"/> for tensor ownership).</param>
    /// <param name="progress">Receives a report after every step.</param>
    /// <param name="cancellationToken">Stops after the current step; a checkpoint is written first when checkpoints are on.</param>
    /// <returns>The losses of the steps run by this call.</returns>
    /// <exception cref="OperationCanceledException">Cancelled (after checkpointing).</exception>
    /// <exception cref="NonFiniteLossException">A loss was NaN or infinite.</exception>
    /// <exception cref="ArgumentException">A batch does not fit the model, or the sequence is empty.</exception>
    /// <exception cref="CheckpointException">The checkpoint folder holds a checkpoint of a different model/optimiser.</exception>
    public DiffusionTrainingResult Fit(IEnumerable<DiffusionBatch> batches, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        using var source = new EnumerableBatchSource(batches);
        return Run(source, progress, cancellationToken);
    }

    private DiffusionTrainingResult Run(IBatchSource source, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var options = Options;
        var device = options.Device ?? CPU;
        var logger = options.Logger;
        Model.to(device);
        using var generator = Seeding.Seed(options.Seed);
        var scheduler = new DdpmScheduler(Model.Scheduler);
        using var optimizer = optim.AdamW(Model.parameters(), lr: options.LearningRate, weight_decay: options.WeightDecay);
        using var ema = options.EmaDecay > 0 ? new ExponentialMovingAverage(Model, options.EmaDecay) : null;
        var schedule = options.Schedule();
        var checkpoints = options.CheckpointDirectory is null
            ? null
            : new CheckpointManager(new CheckpointOptions { Directory = options.CheckpointDirectory, KeepLast = options.KeepLastCheckpoints, Logger = logger });
        var contents = new CheckpointContents
        {
            Modules = new Dictionary<string, nn.Module> { ["unet"] = Model },
            Optimizer = optimizer,
            Generators = new Dictionary<string, Generator> { ["noise"] = generator },
            States = ema is null ? new Dictionary<string, ICheckpointState>() : new Dictionary<string, ICheckpointState> { ["ema"] = ema },
        };

        long start = 0;
        var earlier = TimeSpan.Zero;
        RunIdentity identity = RunIdentityOf(options);
        if (checkpoints?.TryLoadLatest<DiffusionTrainerState>(contents) is { } loaded)
        {
            identity.EnsureResumable(loaded.Path, loaded.TrainerState?.Settings, logger);
            start = Math.Min(loaded.Step, options.Steps);
            earlier = TimeSpan.FromSeconds(loaded.TrainerState?.ElapsedSeconds ?? 0);
            logger?.LogInformation("Resuming diffusion training from {Checkpoint} (step {Step} of {Steps}).", loaded.Path, loaded.Step, options.Steps);
        }
        source.Seek(start);

        var clock = Stopwatch.StartNew();
        long lastSaved = start;
        string? Save(long completed)
        {
            if (checkpoints is null) return null;
            string path = checkpoints.Save(completed, contents, new DiffusionTrainerState(options.Seed, (earlier + clock.Elapsed).TotalSeconds, identity.Settings.ToDictionary()));
            lastSaved = completed;
            logger?.LogInformation("Saved diffusion checkpoint {Checkpoint}.", path);
            return path;
        }

        var losses = new List<double>();
        Model.train();
        try
        {
            for (long step = start; step < options.Steps; step++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    if (step > lastSaved) Save(step);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                var (loss, learningRate) = TrainStep(step, source, scheduler, optimizer, ema, schedule, generator, device, checkpoints?.LastCheckpointPath);
                losses.Add(loss);
                long completed = step + 1;
                if (completed == options.Steps || (options.CheckpointEvery > 0 && completed % options.CheckpointEvery == 0)) Save(completed);
                progress?.Report(new TrainingProgress(Stage, completed, options.Steps, loss, learningRate, earlier + clock.Elapsed));
            }
        }
        finally
        {
            Model.eval();
        }
        ema?.CopyTo(Model);
        return new DiffusionTrainingResult(start, options.Steps, losses, checkpoints?.LastCheckpointPath);
    }

    private (double loss, double learningRate) TrainStep(long step, IBatchSource source, DiffusionScheduler scheduler, optim.Optimizer optimizer,
        ExponentialMovingAverage? ema, LearningRateSchedule schedule, Generator generator, Device device, string? lastCheckpoint)
    {
        using var scope = NewDisposeScope();
        var batch = source.Next();
        var original = Encode(batch.Images.to(device));
        long n = original.shape[0];

        // 1. t ~ U{0…T−1}, ε ~ N(0, I) from the trainer's generator (drawn on the CPU so runs repeat across devices)
        var timesteps = randint(0, Model.Scheduler.NumTrainTimesteps, [n], dtype: ScalarType.Int64, generator: generator).to(device);
        var noise = randn(original.shape, dtype: original.dtype, generator: generator).to(device);
        // 2. x_t by the forward process, Ho et al. eq. 4
        var noisy = scheduler.AddNoise(original, noise, timesteps);
        // 3. conditioning dropout for classifier-free guidance
        var condition = batch.Condition?.To(device);
        if (condition is not null && Options.ConditioningDropout > 0)
            condition = condition.DropWhere(rand([n], generator: generator).to(device) < Options.ConditioningDropout);
        // 4. regress the target the prediction type names
        var target = Model.Scheduler.PredictionType switch
        {
            PredictionType.Epsilon => noise,
            PredictionType.VPrediction => scheduler.GetVelocity(original, noise, timesteps),
            _ => original,
        };
        double learningRate = schedule.Apply(optimizer, step);
        var loss = nn.functional.mse_loss(Model.Predict(noisy, timesteps, condition), target);
        double value = TrainingGuards.EnsureFiniteLoss(loss, step, lastCheckpoint);

        optimizer.zero_grad();
        loss.backward();
        if (Options.MaxGradientNorm > 0) TrainingGuards.ClipGradientNorm(Model.parameters(), Options.MaxGradientNorm);
        optimizer.step();
        ema?.Update(Model);
        return (value, learningRate);
    }

    private Tensor Encode(Tensor images)
    {
        using var _ = no_grad();
        var encoded = Autoencoder.Encode(images);
        var expected = Model.SampleShape;
        if (encoded.dim() != 4 || !encoded.shape.Skip(1).SequenceEqual(expected))
            throw new ArgumentException(
                $"Batch images [{string.Join(", ", images.shape)}] encode to [{string.Join(", ", encoded.shape)}] but the UNet expects [N, {string.Join(", ", expected)}]: resize the images or change UNet2DConfig.ImageSize/InChannels.");
        return encoded;
    }

    // What decides the run a checkpoint continues. Steps only matter to a cosine schedule: a constant-rate run may be
    // resumed with more steps to train longer.
    private static RunIdentity RunIdentityOf(DiffusionTrainerOptions o)
    {
        var identity = new RunIdentity()
            .Add(nameof(o.Seed), o.Seed)
            .Add(nameof(o.BatchSize), o.BatchSize)
            .Add(nameof(o.LearningRate), o.LearningRate)
            .Add(nameof(o.WeightDecay), o.WeightDecay)
            .Add(nameof(o.WarmupSteps), o.WarmupSteps)
            .Add(nameof(o.CosineDecay), o.CosineDecay.ToString())
            .Add(nameof(o.MaxGradientNorm), o.MaxGradientNorm)
            .Add(nameof(o.EmaDecay), o.EmaDecay)
            .Add(nameof(o.ConditioningDropout), o.ConditioningDropout);
        return o.CosineDecay ? identity.Add(nameof(o.Steps), o.Steps) : identity;
    }
}

/// <summary>The trainer's own part of a checkpoint.</summary>
/// <param name="Seed">The run's seed (for reference).</param>
/// <param name="ElapsedSeconds">Training wall-clock time up to the checkpoint.</param>
/// <param name="Settings">The settings that decide the run (<see cref="RunIdentity.Settings"/>); null in checkpoints written
/// before they were recorded.</param>
internal sealed record DiffusionTrainerState(long Seed, double ElapsedSeconds, Dictionary<string, string>? Settings = null);
