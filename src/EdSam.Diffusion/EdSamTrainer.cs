using EdSam.Clip;
using EdSam.Data;
using EdSam.Data.Augmentation;
using EdSam.Diffusion.Training;
using EdSam.Diffusion.Transport;
using EdSam.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Diffusion;

/// <summary>
/// ED-SAM training (Truong et al. 2024): fine-tunes a <see cref="ClipModel"/> with
/// <c>L = L_CLIP(x, p) + w·L_CLIP(x*, p)</c>, where L_CLIP is CLIP's symmetric InfoNCE with its learnable temperature
/// (<see cref="ClipContrastiveLoss"/>), x are the real images, p their captions and x* adversarial samples of the same
/// images (<see cref="IAdversarialSampleSource"/>: shards from <see cref="AugmentationJob"/> or on the fly).
/// </summary>
/// <remarks>
/// <para>Each step: the batch's captions are tokenised once; the real term pairs the N images with their N captions;
/// the adversarial term pairs one x* per example (chosen among its M samples by a seeded draw) with the same caption
/// rows. AdamW, warm-up + cosine learning rate, gradient-norm clipping; the loss is checked before <c>backward</c> and a
/// NaN/∞ stops training with <see cref="NonFiniteLossException"/> naming the step and the last good checkpoint.</para>
/// <para>Never lose work: with <see cref="EdSamOptions.CheckpointDirectory"/> set, <c>Fit</c> resumes from the newest
/// checkpoint (model, optimiser, RNG; the data order is a pure function of seed and step), checkpoints every
/// <see cref="EdSamOptions.CheckpointEvery"/> steps, at the end and on cancellation; a resumed run produces the same
/// losses as an uninterrupted one on CPU. Each checkpoint records the settings that determine the run
/// (<see cref="RunIdentity"/>); a checkpoint of a run with other settings is refused with a
/// <see cref="CheckpointException"/>, and a finished run is loaded, not retrained (<see cref="EdSamResult.AlreadyComplete"/>).</para>
/// <para>Before the first step the adversarial source is asked which training examples it covers: none is an error,
/// some is a logged warning and <see cref="EdSamResult.AdversarialCoverage"/>.</para>
/// </remarks>
public sealed class EdSamTrainer
{
    /// <summary>The caption used for an example without one: CLIP's plain prompt for its class.</summary>
    public const string FallbackCaptionTemplate = "a photo of a {}.";

    private const string Stage = "edsam";

    /// <summary>Creates the trainer.</summary>
    /// <param name="options">The options (validated here).</param>
    /// <exception cref="OptionsValidationException">An option is invalid; all are listed.</exception>
    public EdSamTrainer(EdSamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
    }

    /// <summary>The options.</summary>
    public EdSamOptions Options { get; }

    /// <summary>Trains on every example of every domain of <paramref name="dataset"/> — fine-tuning on all of it. For
    /// domain generalization use the overload with a test domain (or a <see cref="DomainSplit"/>), which keeps the
    /// held-out domain out of training.</summary>
    /// <param name="dataset">The data set; captions come from its examples (<see cref="Example.Caption"/>), else
    /// <see cref="FallbackCaptionTemplate"/> with the class name.</param>
    /// <param name="model">The CLIP model to fine-tune (trained in place).</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="adversarial">Where x* come from; null (or <see cref="EdSamOptions.AdversarialWeight"/> = 0) trains plain CLIP.</param>
    /// <param name="progress">Receives a <see cref="TrainingProgress"/> after every step (stage <c>"edsam"</c>;
    /// metrics <c>clip_loss</c>, <c>adversarial_loss</c>, <c>grad_norm</c>).</param>
    /// <param name="cancellationToken">Stops training after the current step (checkpoint written); the result says <see cref="EdSamResult.Cancelled"/>.</param>
    /// <returns>The trained model and its history.</returns>
    /// <exception cref="NonFiniteLossException">A loss was NaN or infinite; nothing of that step was applied.</exception>
    /// <exception cref="ArgumentException">An example has neither a caption nor a label, or there are no examples.</exception>
    /// <exception cref="DataInputException">The adversarial source has samples for none of the examples.</exception>
    /// <exception cref="CheckpointException">The checkpoint folder holds a run with other settings (each is named).</exception>
    public EdSamResult Fit(IDomainDataset dataset, ClipModel model, ClipTokenizer tokenizer, IAdversarialSampleSource? adversarial = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var examples = dataset.Domains.SelectMany(dataset.GetExamples).ToArray();
        return Fit(examples, dataset.ClassNames, model, ClipGuidance.TokenizeWith(model, tokenizer), adversarial, progress, cancellationToken);
    }

    /// <summary>
    /// Domain generalization: splits <paramref name="dataset"/> leaving <paramref name="testDomain"/> out (seeded by
    /// <see cref="EdSamOptions.Seed"/>, as <c>Vl2vAdipTrainer.Fit(dataset, testDomain)</c> does) and trains on the source
    /// domains' training part only; evaluate on <c>dataset.LeaveOneDomainOut(testDomain, seed).Test</c>.
    /// </summary>
    /// <param name="dataset">The data set.</param>
    /// <param name="testDomain">The held-out domain, never seen in training.</param>
    /// <param name="model">The CLIP model to fine-tune (trained in place).</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="adversarial">Where x* come from, or null.</param>
    /// <param name="progress">Per-step progress.</param>
    /// <param name="cancellationToken">Stops after the current step.</param>
    /// <returns>The trained model and its history.</returns>
    /// <exception cref="ArgumentException"><paramref name="testDomain"/> is not a domain of the data set.</exception>
    public EdSamResult Fit(IDomainDataset dataset, string testDomain, ClipModel model, ClipTokenizer tokenizer, IAdversarialSampleSource? adversarial = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Fit(dataset.LeaveOneDomainOut(testDomain, unchecked((int)Options.Seed)), model, tokenizer, adversarial, progress, cancellationToken);
    }

    /// <summary>Trains on the source domains of a leave-one-domain-out split (<see cref="DomainSplit.Train"/>).</summary>
    /// <param name="split">The split.</param>
    /// <param name="model">The CLIP model to fine-tune.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="adversarial">Where x* come from, or null.</param>
    /// <param name="progress">Per-step progress.</param>
    /// <param name="cancellationToken">Stops after the current step.</param>
    /// <returns>The trained model and its history.</returns>
    public EdSamResult Fit(DomainSplit split, ClipModel model, ClipTokenizer tokenizer, IAdversarialSampleSource? adversarial = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(split);
        return Fit(split.Train, split.ClassNames, model, ClipGuidance.TokenizeWith(model, tokenizer), adversarial, progress, cancellationToken);
    }

    /// <summary>Trains on a list of examples with any tokenisation function.</summary>
    /// <param name="examples">The training examples (images of any size; CLIP-preprocessed here).</param>
    /// <param name="classNames">Class names for examples without a caption; null when every example has one.</param>
    /// <param name="model">The CLIP model to fine-tune.</param>
    /// <param name="tokenize">Captions → int64 [N, context] tokens.</param>
    /// <param name="adversarial">Where x* come from, or null.</param>
    /// <param name="progress">Per-step progress.</param>
    /// <param name="cancellationToken">Stops after the current step.</param>
    /// <returns>The trained model and its history.</returns>
    /// <exception cref="NonFiniteLossException">A loss was NaN or infinite.</exception>
    /// <exception cref="CheckpointException">The checkpoint folder holds a run with another seed, batch size or number of
    /// examples, other settings (adversarial weight and source, epochs, learning rates, warm-up, AdamW hyper-parameters,
    /// gradient clipping, augmentation type; the message names each, old and new value) or of another model: resuming
    /// it would not continue that run, so it is refused, not overwritten.</exception>
    /// <exception cref="DataInputException">The adversarial source has samples for none of the training examples (shards
    /// generated from another copy of the data: keys are absolute paths); the message names the source, the number of
    /// examples checked, the first training key and the first key in the source.</exception>
    public EdSamResult Fit(IReadOnlyList<Example> examples, IReadOnlyList<string>? classNames, ClipModel model, Func<IReadOnlyList<string>, Tensor> tokenize,
        IAdversarialSampleSource? adversarial = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenize);
        if (examples.Count == 0) throw new ArgumentException("There are no training examples.", nameof(examples));
        string[] captions = examples.Select(e => CaptionOf(e, classNames)).ToArray();

        var o = Options;
        int stepsPerEpoch = Math.Max(1, examples.Count / o.BatchSize);
        long totalSteps = (long)stepsPerEpoch * o.Epochs;
        bool useAdversarial = adversarial is not null && o.AdversarialWeight > 0;
        var coverage = useAdversarial ? CheckCoverage(adversarial!, examples) : null;
        var preprocessing = o.Preprocessing ?? ImagePreprocessorOptions.Clip(model.ImageSize);
        if (preprocessing.CropSize != model.ImageSize)
            throw new ArgumentException($"EdSamOptions.Preprocessing crops to {preprocessing.CropSize} px, but the model takes {model.ImageSize} px images (vision_cfg.image_size).", nameof(model));
        var preprocessor = new ImagePreprocessor(preprocessing);
        var device = o.Device ?? CPU;

        using (Seeding.Seed(o.Seed)) { }
        model.to(device);
        model.train();
        var logitScale = model.named_parameters().First(p => p.name == "logit_scale").parameter;
        using var optimizer = optim.AdamW(model.parameters(), o.LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay);
        var schedule = LearningRateSchedule.WarmupCosine(o.LearningRate, Math.Min(o.WarmupSteps, totalSteps), totalSteps, o.MinLearningRate);

        var checkpoints = o.CheckpointDirectory is null ? null
            : new CheckpointManager(new CheckpointOptions { Directory = o.CheckpointDirectory, KeepLast = o.KeepLastCheckpoints, Logger = o.Logger });
        var contents = new CheckpointContents { Modules = new Dictionary<string, nn.Module> { ["clip"] = model }, Optimizer = optimizer };
        var losses = new List<double>();
        long step = 0;
        var identity = RunIdentityOf(useAdversarial ? adversarial : null);
        var runState = new EdSamCheckpointState { Seed = o.Seed, BatchSize = o.BatchSize, ExampleCount = examples.Count, Settings = identity.Settings.ToDictionary() };
        bool alreadyComplete = false;
        if (checkpoints?.TryLoadLatest<EdSamCheckpointState>(contents) is { } restored)
        {
            var saved = restored.TrainerState;
            identity.EnsureResumable(restored.Path, saved.Settings, o.Logger, saved.Differences(runState));
            step = restored.Step;
            losses.AddRange(saved.Losses ?? []);
            alreadyComplete = step >= totalSteps;
            if (alreadyComplete)
                o.Logger?.LogInformation("ED-SAM training in {Path} is already complete ({Step} of {Total} steps): nothing trained; " +
                                         "the finished run's weights were loaded. Use a new CheckpointDirectory to train again.", restored.Path, step, totalSteps);
            else
                o.Logger?.LogInformation("Resuming ED-SAM training at step {Step} of {Total} from {Path}.", step, totalSteps, restored.Path);
        }

        var history = new List<TrainingProgress>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool cancelled = false;
        while (step < totalSteps)
        {
            using (var scope = NewDisposeScope())
            {
                double learningRate = schedule.Apply(optimizer, step);
                int[] batch = BatchIndices(examples.Count, stepsPerEpoch, step);
                var batchExamples = batch.Select(i => examples[i]).ToArray();
                var batchCaptions = batch.Select(i => captions[i]).ToArray();

                long current = step;
                var images = ParallelRows.Stack(batchExamples.Length,
                    row => LoadPreprocessed(Augmented(batchExamples[row].Image.Load(), current, row), preprocessor), o.Workers, device);
                var text = model.EncodeText(tokenize(batchCaptions).to(device));
                var clipLoss = ClipContrastiveLoss.Compute(model.EncodeImage(images), text, logitScale);
                var loss = clipLoss;
                double adversarialLoss = double.NaN;
                if (useAdversarial)
                {
                    var term = AdversarialTerm(model, adversarial!, batchExamples, text, logitScale, preprocessor, device, step);
                    if (term is not null)
                    {
                        loss = clipLoss + o.AdversarialWeight * term;
                        adversarialLoss = term.item<float>();
                    }
                }

                double value = TrainingGuards.EnsureFiniteLoss(loss, step, checkpoints?.LastCheckpointPath);
                optimizer.zero_grad();
                loss.backward();
                double gradNorm = TrainingGuards.ClipGradientNorm(model.parameters(), o.MaxGradientNorm);
                optimizer.step();

                step++;
                losses.Add(value);
                var metrics = new Dictionary<string, double> { ["clip_loss"] = clipLoss.item<float>(), ["grad_norm"] = gradNorm };
                if (!double.IsNaN(adversarialLoss)) metrics["adversarial_loss"] = adversarialLoss;
                var report = new TrainingProgress(Stage, step, totalSteps, value, learningRate, clock.Elapsed, metrics);
                history.Add(report);
                progress?.Report(report);
            }

            cancelled = cancellationToken.IsCancellationRequested && step < totalSteps;
            if (checkpoints is not null && (step % o.CheckpointEvery == 0 || step == totalSteps || cancelled))
            {
                checkpoints.Save(step, contents, runState with { Losses = losses.ToArray() });
            }
            if (cancelled)
            {
                o.Logger?.LogInformation("ED-SAM training cancelled after step {Step} of {Total}.", step, totalSteps);
                break;
            }
        }

        model.eval();
        return new EdSamResult(model, history, losses, totalSteps, cancelled, checkpoints?.LastCheckpointPath, alreadyComplete, coverage);
    }

    /// <summary>
    /// Zero-shot accuracy of a CLIP model on labelled examples (<see cref="ZeroShotClassifier"/>: class embeddings from
    /// prompt templates, argmax of cosine similarity).
    /// </summary>
    /// <param name="model">The model (left in eval mode).</param>
    /// <param name="tokenize">Prompts → tokens.</param>
    /// <param name="examples">Labelled examples (for domain generalization: <see cref="DomainSplit.Test"/>).</param>
    /// <param name="classNames">Class names, index = label.</param>
    /// <param name="templates">Prompt templates with <c>{}</c>; <see cref="ZeroShotClassifier.DefaultTemplates"/> when null.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <returns>The fraction of examples classified correctly, in [0, 1].</returns>
    /// <exception cref="ArgumentException">An example has no label, or there are no examples.</exception>
    public static double Evaluate(ClipModel model, Func<IReadOnlyList<string>, Tensor> tokenize, IReadOnlyList<Example> examples,
        IReadOnlyList<string> classNames, IEnumerable<string>? templates = null, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (examples.Count == 0) throw new ArgumentException("There are no examples to evaluate.", nameof(examples));
        if (examples.FirstOrDefault(e => e.Label is null) is { } unlabelled)
            throw new ArgumentException($"Example '{unlabelled.Key}' has no label; accuracy needs labelled examples.", nameof(examples));
        model.eval();
        using var classifier = new ZeroShotClassifier(model, tokenize, classNames, templates);
        return classifier.Evaluate(examples, batchSize).Accuracy;
    }

    /// <summary>Zero-shot accuracy with a CLIP tokenizer.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="examples">Labelled examples.</param>
    /// <param name="classNames">Class names.</param>
    /// <param name="templates">Prompt templates, or null for the defaults.</param>
    /// <returns>The accuracy in [0, 1].</returns>
    public static double Evaluate(ClipModel model, ClipTokenizer tokenizer, IReadOnlyList<Example> examples, IReadOnlyList<string> classNames, IEnumerable<string>? templates = null) =>
        Evaluate(model, ClipGuidance.TokenizeWith(model, tokenizer), examples, classNames, templates);

    // Counts the training examples the source has samples for, before any work: with none, ED-SAM would silently be
    // plain CLIP fine-tuning (typically shards made from another copy of the data, whose absolute-path keys differ).
    private AdversarialCoverage? CheckCoverage(IAdversarialSampleSource source, IReadOnlyList<Example> examples)
    {
        int covered = 0;
        foreach (var example in examples)
        {
            bool? has = source.HasSamples(example);
            if (has is null) return null;
            if (has.Value) covered++;
        }
        if (covered == 0)
            throw new DataInputException(source.Description,
                $"none of the {examples.Count} training examples has an adversarial sample here, so ED-SAM would silently train plain CLIP. " +
                $"Samples are matched by the training example's key: the first training key is '{examples[0].Key}', " +
                $"the first key found in the adversarial source is {(source.ExampleSourceKey is { } key ? $"'{key}'" : "(none: it holds no samples)")}. " +
                "The samples were probably generated from another copy of the data (another folder, mount or machine): regenerate them " +
                "from this data ('edsam augment' / AugmentationJob), or train on the data at the paths they were generated from.");
        var coverage = new AdversarialCoverage(covered, examples.Count, source.Description);
        if (!coverage.IsComplete)
            Options.Logger?.LogWarning("Only {Covered} of {Checked} training examples have adversarial samples in {Source}; the other " +
                                       "{Missing} are trained on their real images only.", covered, examples.Count, source.Description, examples.Count - covered);
        return coverage;
    }

    // The settings that determine the run beyond seed, batch size and data (those are checked on their own): a
    // checkpoint written under other values is not resumed.
    private RunIdentity RunIdentityOf(IAdversarialSampleSource? adversarial)
    {
        var o = Options;
        return new RunIdentity()
            .Add(nameof(o.AdversarialWeight), adversarial is null ? 0 : o.AdversarialWeight)
            .Add("AdversarialSource", adversarial?.Description ?? "none")
            .Add(nameof(o.Epochs), o.Epochs)
            .Add(nameof(o.LearningRate), o.LearningRate)
            .Add(nameof(o.MinLearningRate), o.MinLearningRate)
            .Add(nameof(o.WarmupSteps), o.WarmupSteps)
            .Add(nameof(o.WeightDecay), o.WeightDecay)
            .Add(nameof(o.Beta1), o.Beta1)
            .Add(nameof(o.Beta2), o.Beta2)
            .Add(nameof(o.Epsilon), o.Epsilon)
            .Add(nameof(o.MaxGradientNorm), o.MaxGradientNorm)
            .Add(nameof(o.Augmentation), o.Augmentation?.GetType().Name ?? "none")
            // Numbers as invariant text: a checkpoint must resume on a machine with another culture.
            .Add("PreprocessingMean", (o.Preprocessing?.Mean ?? ImagePreprocessorOptions.ClipMean).Select(v => (double)v))
            .Add("PreprocessingStd", (o.Preprocessing?.Std ?? ImagePreprocessorOptions.ClipStd).Select(v => (double)v))
            .Add("PreprocessingResize", o.Preprocessing is { } p ? $"{p.Interpolation} {p.ResizeSize} crop {p.CropSize}" : "CLIP default");
    }

    // L_CLIP(x*, p) over the examples that have an adversarial sample, against their captions' rows of `text`.
    private Tensor? AdversarialTerm(ClipModel model, IAdversarialSampleSource source, Example[] batch, Tensor text, Parameter logitScale,
        ImagePreprocessor preprocessor, Device device, long step)
    {
        using var choiceGenerator = new Generator(unchecked((ulong)Seeding.ForKey(Options.Seed, $"choice/{step}")));
        int[] choices = randint(0, int.MaxValue, [batch.Length], generator: choiceGenerator, dtype: ScalarType.Int64)
            .data<long>().ToArray().Select(c => (int)c).ToArray();
        var samples = source.Get(batch, choices);
        var rows = Enumerable.Range(0, batch.Length).Where(i => samples[i] is not null).ToArray();
        if (rows.Length == 0) return null;
        var images = stack(rows.Select(i => LoadPreprocessed(samples[i]!, preprocessor)).ToArray()).to(device);
        var rowIndex = tensor(rows.Select(i => (long)i).ToArray(), device: device);
        return ClipContrastiveLoss.Compute(model.EncodeImage(images), text.index_select(0, rowIndex), logitScale);
    }

    // The augmentation draws of row `row` at step `step`: a pure function of (seed, step, row), so a resumed run repeats them.
    private Tensor Augmented(Tensor image, long step, int row)
    {
        if (Options.Augmentation is not { } augmentation) return image;
        using (image)
            return augmentation.Apply(image, new Random(unchecked((int)Seeding.ForKey(Options.Seed, $"augment/{step}/{row}"))));
    }

    private static Tensor LoadPreprocessed(Tensor image, ImagePreprocessor preprocessor)
    {
        using (image) return preprocessor.Preprocess(image);
    }

    // Epoch e visits the examples in a permutation drawn from a generator seeded by (seed, e): a pure function of the
    // step, so a resumed run sees exactly the batches the uninterrupted run would have.
    private int[] BatchIndices(int count, int stepsPerEpoch, long step)
    {
        long epoch = step / stepsPerEpoch;
        int position = (int)(step % stepsPerEpoch);
        using var generator = new Generator(unchecked((ulong)Seeding.ForKey(Options.Seed, $"epoch/{epoch}")));
        long[] order = Seeding.Permutation(generator, count);
        int size = Math.Min(Options.BatchSize, count);
        return order.Skip(position * size).Take(size).Select(i => (int)i).ToArray();
    }

    internal static string CaptionOf(Example example, IReadOnlyList<string>? classNames)
    {
        if (example.Caption is { Length: > 0 } caption) return caption;
        if (example.Label is { } label && classNames is not null && label >= 0 && label < classNames.Count)
            return ZeroShotClassifier.Prompt(FallbackCaptionTemplate, classNames[label]);
        throw new ArgumentException($"Example '{example.Key}' has no caption and no label with a class name; ED-SAM needs a caption per image.", nameof(example));
    }
}
