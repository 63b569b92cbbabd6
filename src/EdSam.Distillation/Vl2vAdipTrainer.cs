using System.Diagnostics;
using EdSam.Clip;
using EdSam.Data;
using EdSam.Data.Augmentation;
using EdSam.Distillation.Heads;
using EdSam.Distillation.Losses;
using EdSam.Distillation.Students;
using EdSam.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Distillation;

/// <summary>
/// Trains VL2V-ADiP (Addepalli et al., "Leveraging Vision-Language Models for Improving Domain Generalization in Image
/// Classification", CVPR 2024) — or its VL2V-SD variant, or the ERM/KD baselines — on a leave-one-domain-out split:
/// <c>new Vl2vAdipTrainer(options).Fit(split)</c>.
/// </summary>
/// <remarks>
/// <para><b>Stage 1, align:</b> the backbone f is frozen (eval mode, BatchNorm statistics fixed); only the projection P
/// trains. <b>Stage 2, distil:</b> from stage 1's best weights (by source-domain validation accuracy; the SWAD average
/// competes as a candidate), P and T_c are frozen and the backbone trains. Both minimise
/// L = λ·(−cos(z, I(x))) + (1−λ)·(−cos(z, T_y)) with z = P(f(x))/‖P(f(x))‖ and I(x) the teacher's normalised embedding of
/// the <i>same augmented image</i> the student sees.</para>
/// <para>Each stage keeps SWAD's dense weight average over the validation-loss valley; the final model is the stage-2
/// average (or the best checkpoint when no valley was found). With <see cref="Vl2vAdipOptions.CheckpointDirectory"/>
/// set, <c>Fit</c> checkpoints every stage and resumes where an interrupted run stopped, reproducing it exactly on CPU.</para>
/// </remarks>
public sealed class Vl2vAdipTrainer
{
    /// <summary>Creates the trainer.</summary>
    /// <param name="options">The recipe; validated here.</param>
    /// <exception cref="ArgumentException">The options are invalid (every problem is listed).</exception>
    /// <exception cref="ClipTokenizerMismatchException"><see cref="Vl2vAdipOptions.Tokenizer"/> produces ids beyond the teacher's
    /// <c>vocab_size</c> (a <see cref="Vl2vAdipOptions.Tokenize"/> function is checked on its first output, when <c>Fit</c> starts).</exception>
    public Vl2vAdipTrainer(Vl2vAdipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // Here rather than deep in the first text encoding: the tokenizer and the teacher are both known already.
        if (options is { Tokenize: null, Tokenizer: { } tokenizer, Teacher: { } teacher } && options.Method != DistillationMethod.Erm)
            ClipVocabulary.EnsureFits(tokenizer, teacher);
        Options = options;
    }

    /// <summary>The options in use.</summary>
    public Vl2vAdipOptions Options { get; }

    /// <summary>Test hook: called with (stage name, true at its start / false at its end, the network).</summary>
    internal Action<string, bool, nn.Module>? StageObserver { get; set; }

    /// <summary>Test hook: called after every optimisation step with (stage name, steps done, the module SWAD averages).</summary>
    internal Action<string, long, nn.Module>? StepObserver { get; set; }

    /// <summary>Splits <paramref name="dataset"/> leaving <paramref name="testDomain"/> out (seeded by <see cref="Vl2vAdipOptions.Seed"/>) and trains.</summary>
    /// <param name="dataset">A domain-generalization data set.</param>
    /// <param name="testDomain">The held-out domain, never seen in training.</param>
    /// <returns>The trained model.</returns>
    /// <exception cref="ArgumentException"><paramref name="testDomain"/> is not a domain of the data set, or as for <see cref="Fit(DomainSplit)"/>.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; with checkpoints on, a checkpoint of the last step was written first.</exception>
    /// <exception cref="NonFiniteLossException">The loss became NaN or infinite.</exception>
    public Vl2vAdipModel Fit(IDomainDataset dataset, string testDomain) => Fit(dataset, testDomain, null);

    /// <summary>Like <see cref="Fit(IDomainDataset, string)"/>, with progress and cancellation passed to the call (as
    /// <c>EdSamTrainer.Fit</c> takes them) rather than through <see cref="Vl2vAdipOptions"/>.</summary>
    /// <param name="dataset">A domain-generalization data set.</param>
    /// <param name="testDomain">The held-out domain, never seen in training.</param>
    /// <param name="progress">Per-step progress; <see cref="Vl2vAdipOptions.Progress"/> when null.</param>
    /// <param name="cancellationToken">Stops after the current step (a checkpoint is written first), together with
    /// <see cref="Vl2vAdipOptions.CancellationToken"/>.</param>
    /// <returns>The trained model.</returns>
    /// <exception cref="ArgumentException"><paramref name="testDomain"/> is not a domain of the data set, or as for <see cref="Fit(DomainSplit)"/>.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; with checkpoints on, a checkpoint of the last step was written first.</exception>
    /// <exception cref="NonFiniteLossException">The loss became NaN or infinite.</exception>
    public Vl2vAdipModel Fit(IDomainDataset dataset, string testDomain, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Fit(dataset.LeaveOneDomainOut(testDomain, unchecked((int)Options.Seed)), progress, cancellationToken);
    }

    /// <summary>Like <see cref="Fit(DomainSplit)"/>, with progress and cancellation passed to the call.</summary>
    /// <param name="split">The leave-one-domain-out split.</param>
    /// <param name="progress">Per-step progress; <see cref="Vl2vAdipOptions.Progress"/> when null.</param>
    /// <param name="cancellationToken">Stops after the current step, together with <see cref="Vl2vAdipOptions.CancellationToken"/>.</param>
    /// <returns>The trained model.</returns>
    /// <exception cref="ArgumentException">The split has no training or validation examples, or an example has no label.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; with checkpoints on, a checkpoint of the last step was written first.</exception>
    /// <exception cref="NonFiniteLossException">The loss became NaN or infinite.</exception>
    public Vl2vAdipModel Fit(DomainSplit split, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(Options.CancellationToken, cancellationToken);
        return Fit(split, Options with { Progress = progress ?? Options.Progress, CancellationToken = linked.Token });
    }

    /// <summary>Trains on the split's source domains, selecting and averaging on its in-domain validation examples.</summary>
    /// <param name="split">The leave-one-domain-out split.</param>
    /// <returns>The trained model (its <see cref="Vl2vAdipModel.History"/> holds every evaluation and SWAD window).</returns>
    /// <exception cref="ArgumentException">The split has no training or validation examples, or an example has no label.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; with checkpoints on, a checkpoint of the last step was written first.</exception>
    /// <exception cref="NonFiniteLossException">The loss became NaN or infinite.</exception>
    public Vl2vAdipModel Fit(DomainSplit split) => Fit(split, Options);

    private Vl2vAdipModel Fit(DomainSplit split, Vl2vAdipOptions options)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (split.Validation.Count == 0)
            throw new ArgumentException("The split has no validation examples: VL2V-ADiP selects and averages models on the source domains' held-out examples.", nameof(split));
        foreach (string domain in split.SourceDomains)
            if (!split.TrainByDomain.TryGetValue(domain, out var examples) || examples.Count == 0)
                throw new ArgumentException($"Source domain '{domain}' has no training examples.", nameof(split));

        var run = new Run(options, split, StageObserver, StepObserver);
        try
        {
            return run.Train();
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>The state of one Fit call: the teacher, the network, the text classifier and the stages.</summary>
    private sealed class Run : IDisposable
    {
        private readonly Vl2vAdipOptions _options;
        private readonly DomainSplit _split;
        private readonly ClipModel _teacher;
        private readonly Device _device;
        private readonly ILogger? _logger;
        private readonly int _size; // the teacher's input side: training views are made at it
        private readonly int _studentSize;
        private readonly Normalize _studentNormalization;
        private readonly List<Vl2vAdipEvaluation> _evaluations = [];
        private readonly List<Vl2vAdipStageSummary> _summaries = [];
        private DistillationNetwork? _network;
        private TextClassifierHead? _textHead;
        private Tensor? _validationTeacher;
        private readonly Action<string, bool, nn.Module>? _observer;
        private readonly Action<string, long, nn.Module>? _stepObserver;

        public Run(Vl2vAdipOptions options, DomainSplit split, Action<string, bool, nn.Module>? observer, Action<string, long, nn.Module>? stepObserver)
        {
            _observer = observer;
            _stepObserver = stepObserver;
            _options = options;
            _split = split;
            _teacher = options.Teacher!;
            _device = options.Device ?? CPU;
            _logger = options.Logger;
            _size = _teacher.ImageSize;
            _studentSize = options.Method == DistillationMethod.Vl2vSd ? _size : options.StudentImageSize ?? _size;
            _studentNormalization = options.Method == DistillationMethod.Vl2vSd ? options.TeacherNormalization : options.StudentNormalization;
        }

        private DistillationMethod Method => _options.Method;

        public Vl2vAdipModel Train()
        {
            _teacher.to(_device);
            _teacher.eval();
            Seeding.Seed(_options.Seed).Dispose();

            if (Method != DistillationMethod.Erm)
            {
                var tokenize = _options.Tokenize ?? (prompts => _options.Tokenizer!.Tokenize(prompts, _teacher.ContextLength, truncate: true));
                var templates = _options.Templates ?? TextClassifier.Templates(_options.Prompts, _split.SourceDomains);
                _textHead = TextClassifier.Create(_teacher, tokenize, _split.ClassNames, templates);
                _textHead.to(_device);
                if (Method != DistillationMethod.KnowledgeDistillation) _validationTeacher = TeacherEmbeddings(_split.Validation);
            }
            _network = BuildNetwork();

            if (Method == DistillationMethod.Vl2vAdip)
            {
                RunStage(Stage.Align);
                RunStage(Stage.Distill);
            }
            else
            {
                RunStage(Stage.Distill);
            }

            _network.eval();
            _validationTeacher?.Dispose();
            _validationTeacher = null;
            if (Method == DistillationMethod.KnowledgeDistillation)
            {
                // KD's teacher logits were a training signal only: the baseline predicts with its linear head.
                _textHead?.Dispose();
                _textHead = null;
            }
            var history = new Vl2vAdipHistory(_evaluations.ToArray(), _summaries.ToArray());
            return new Vl2vAdipModel(Method, Method == DistillationMethod.Vl2vSd ? null : _options.Student,
                Method == DistillationMethod.Vl2vSd ? _teacher.Config : null, _network, _textHead, _split.ClassNames.ToArray(),
                _studentSize, _studentNormalization, history);
        }

        private DistillationNetwork BuildNetwork()
        {
            if (Method == DistillationMethod.Vl2vSd)
                return new DistillationNetwork(ClipImageStudent.FromTeacher(_teacher), null);

            var backbone = StudentFactory.Create(_options.Student, new StudentOptions
            {
                WeightsPath = _options.StudentWeightsPath,
                Seed = _options.Seed,
                ImageSize = _studentSize,
                Logger = _logger,
            });
            nn.Module<Tensor, Tensor> head = Method == DistillationMethod.Vl2vAdip
                ? new AlignHead(backbone.FeatureDim, _teacher.EmbedDim)
                : new LinearHead(backbone.FeatureDim, _split.ClassNames.Count);
            InitializeHead(head, DistillationData.Seed(_options.Seed, 7, 0, 0));
            var network = new DistillationNetwork(backbone, head);
            network.to(_device);
            return network;
        }

        /// <summary>
        /// Re-draws a head's Linear weights and biases from PyTorch's default Linear distribution U(−1/√fan_in, 1/√fan_in)
        /// with a private generator: torch's global generator is shared by every thread, so drawing from it would make
        /// the initialisation depend on whatever else runs concurrently.
        /// </summary>
        private static void InitializeHead(nn.Module head, int seed)
        {
            using var generator = new Generator((ulong)seed);
            using var noGrad = no_grad();
            foreach (var linear in head.modules().OfType<Linear>())
            {
                double bound = 1 / Math.Sqrt(linear.weight!.shape[1]);
                foreach (var parameter in new[] { linear.weight, linear.bias })
                {
                    if (parameter is null) continue;
                    using var scope = NewDisposeScope();
                    parameter.copy_(rand(parameter.shape, generator: generator, dtype: parameter.dtype).mul_(2 * bound).sub_(bound));
                }
            }
        }

        /// <summary>Normalised teacher embeddings of un-augmented images <c>[N, D]</c>: from the cache file when configured, else computed once per Fit.</summary>
        private Tensor TeacherEmbeddings(IReadOnlyList<Example> examples)
        {
            if (_options.TeacherCachePath is { } cachePath)
            {
                var byKey = examples.GroupBy(e => e.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
                var identity = _options.TeacherIdentity! with
                {
                    Preprocessing = $"{_options.TeacherIdentity!.Preprocessing}; EdSam VL2V-ADiP evaluation: resize {_size} + centre crop {_size}, {Describe(_options.TeacherNormalization)}",
                };
                var transform = DistillationData.Evaluation(_size);
                using var cache = TeacherEmbeddingCache.LoadOrBuild(cachePath, identity, examples.Select(e => e.Key).ToArray(),
                    keys =>
                    {
                        using var scope = NewDisposeScope();
                        var images = DistillationData.LoadImages(keys.Select(k => byKey[k]).ToArray(), transform, _ => 0, _device, _options.Workers);
                        return scope.MoveToOuter(DistillationData.Normalized(images, _options.TeacherNormalization));
                    },
                    _teacher, new TeacherCacheOptions { BatchSize = _options.EvaluationBatchSize, Logger = _logger }, _options.CancellationToken);
                using var raw = cache.Get(examples.Select(e => e.Key).ToArray());
                using var onDevice = raw.to(_device);
                return nn.functional.normalize(onDevice, dim: -1);
            }

            var rows = new List<Tensor>();
            try
            {
                DistillationData.ForEachBatch(examples, _size, _options.EvaluationBatchSize, _device, (_, _, images) =>
                {
                    using var noGrad = no_grad();
                    rows.Add(TeacherEmbed(images).DetachFromDisposeScope());
                }, _options.CancellationToken, _options.Workers);
                return cat(rows, 0);
            }
            finally
            {
                foreach (var row in rows) row.Dispose();
            }
        }

        /// <summary>The student's input from a view at the teacher's size: resized to the student's side when it differs, then normalised.</summary>
        private Tensor StudentInput(Tensor images01)
        {
            if (_studentSize == _size) return DistillationData.Normalized(images01, _studentNormalization);
            // Antialiased when shrinking, so the student sees the view's content rather than aliasing.
            using var resized = nn.functional.interpolate(images01, size: [_studentSize, _studentSize], mode: InterpolationMode.Bilinear,
                align_corners: false, antialias: true);
            return DistillationData.Normalized(resized, _studentNormalization);
        }

        /// <summary>I(x): the teacher's L2-normalised image embedding of pixels in [0, 1] (no gradient; call under no_grad).</summary>
        private Tensor TeacherEmbed(Tensor images01) =>
            nn.functional.normalize(_teacher.EncodeImage(DistillationData.Normalized(images01, _options.TeacherNormalization)).to(ScalarType.Float32), dim: -1);

        private enum Stage { Align, Distill }

        private string StageName(Stage stage) => stage == Stage.Align ? "align" : Method switch
        {
            DistillationMethod.Erm => "erm",
            DistillationMethod.KnowledgeDistillation => "kd",
            _ => "distill",
        };

        /// <summary>Sets train/eval modes and requires_grad for a stage; returns the trainable parameters and the module SWAD averages.</summary>
        private (List<Parameter> Trainable, nn.Module Averaged) Configure(Stage stage)
        {
            var network = _network!;
            var backbone = network.Backbone;
            var head = network.Head;
            foreach (var p in network.parameters()) p.requires_grad = false;
            if (stage == Stage.Align)
            {
                // Stage 1: the backbone is a fixed feature extractor (eval mode: BatchNorm statistics and dropout fixed).
                backbone.FreezeBatchNorm();
                backbone.eval();
                head!.train();
                foreach (var p in head.parameters()) p.requires_grad = true;
                return (head.parameters().ToList(), head);
            }

            backbone.train();
            if (backbone is ClipImageStudent clip)
            {
                var visual = clip.VisualParameters().ToList();
                foreach (var p in visual) p.requires_grad = true;
                return (visual, backbone);
            }

            // BatchNorm stays in eval mode (running statistics frozen, as DomainBed/SWAD train ResNets); its affine
            // parameters and everything else in the backbone train.
            backbone.FreezeBatchNorm();
            foreach (var p in backbone.parameters()) p.requires_grad = true;
            if (Method == DistillationMethod.Vl2vAdip)
            {
                head!.eval(); // stage 2: P and T_c are frozen
                return (backbone.parameters().ToList(), backbone);
            }
            head!.train();
            foreach (var p in head.parameters()) p.requires_grad = true;
            return (network.parameters().ToList(), network);
        }

        /// <summary>The settings that decide what a stage's checkpoints hold: a checkpoint written under other values is
        /// not resumed (the data split, method, student, loss, optimiser, schedule, augmentation and averaging).</summary>
        private static string Describe(Normalize normalize)
        {
            static string List(IEnumerable<double> values) => string.Join(" ", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
            return $"mean {List(normalize.Mean)}, std {List(normalize.Std)}";
        }

        private RunIdentity RunIdentityOf(Stage stage)
        {
            var o = _options;
            return new RunIdentity()
                .Add("TestDomain", _split.TestDomain)
                .Add("SourceExamples", _split.Train.Count)
                .Add(nameof(o.Seed), o.Seed)
                .Add(nameof(o.Method), o.Method.ToString())
                .Add(nameof(o.Student), o.Student.ToString())
                .Add(nameof(o.StudentWeightsPath), o.StudentWeightsPath is null ? "random init" : Path.GetFileName(o.StudentWeightsPath))
                .Add(nameof(o.StudentImageSize), _studentSize)
                .Add("StudentMean", _studentNormalization.Mean).Add("StudentStd", _studentNormalization.Std)
                .Add("TeacherMean", o.TeacherNormalization.Mean).Add("TeacherStd", o.TeacherNormalization.Std)
                .Add("Prompts", string.Join(" | ", o.Templates ?? TextClassifier.Templates(o.Prompts, _split.SourceDomains)))
                .Add(nameof(o.Lambda), o.Lambda)
                .Add(nameof(o.KdTemperature), o.KdTemperature)
                .Add(nameof(o.KdWeight), o.KdWeight)
                .Add(nameof(o.LearningRate), o.LearningRate)
                .Add(nameof(o.WeightDecay), o.WeightDecay)
                .Add(nameof(o.BatchSizePerDomain), o.BatchSizePerDomain)
                .Add("Steps", stage == Stage.Align ? o.AlignSteps : o.DistillSteps)
                .Add(nameof(o.EvaluateEvery), o.EvaluateEvery)
                .Add(nameof(o.Augment), o.Augment.ToString())
                .Add(nameof(o.UseSwad), o.UseSwad.ToString())
                // Numbers as invariant text (a record's ToString follows the current culture): checkpoints move between machines.
                .Add("SwadConvergeCount", o.Swad.ConvergeCount)
                .Add("SwadToleranceCount", o.Swad.ToleranceCount)
                .Add("SwadToleranceRatio", o.Swad.ToleranceRatio);
        }

        private void RunStage(Stage stage)
        {
            string name = StageName(stage);
            int steps = stage == Stage.Align ? _options.AlignSteps : _options.DistillSteps;
            int checkpointEvery = _options.CheckpointEvery ?? _options.EvaluateEvery;
            var (trainable, averaged) = Configure(stage);

            using var optimizer = optim.Adam(trainable, lr: _options.LearningRate, weight_decay: _options.WeightDecay);
            using var swad = _options.UseSwad ? new SwadAverager(_options.Swad) : null;
            using var best = new ModuleSnapshot();
            var states = new Dictionary<string, ICheckpointState> { ["best"] = best };
            if (swad is not null) states["swad"] = swad;
            var contents = new CheckpointContents
            {
                Modules = new Dictionary<string, nn.Module> { ["network"] = _network! },
                Optimizer = optimizer,
                States = states,
            };
            var manager = _options.CheckpointDirectory is { } dir
                ? new CheckpointManager(new CheckpointOptions { Directory = Path.Combine(dir, name), Logger = _logger })
                : null;

            RunIdentity identity = RunIdentityOf(stage);
            var state = new StageState { Settings = identity.Settings.ToDictionary() };
            if (manager?.TryLoadLatest<StageState>(contents) is { } loaded)
            {
                state = loaded.TrainerState;
                identity.EnsureResumable(loaded.Path, state.Settings, _logger);
                state.Settings = identity.Settings.ToDictionary();
                _logger?.LogInformation("Stage {Stage}: resumed from {Path} at step {Step}.", name, loaded.Path, loaded.Step);
            }
            if (state.Completed)
            {
                _evaluations.AddRange(state.Evaluations);
                if (state.Summary is not null) _summaries.Add(state.Summary);
                return;
            }

            _observer?.Invoke(name, true, _network!);
            var clock = Stopwatch.StartNew();
            var transform = _options.Augment ? DistillationData.Training(_size) : DistillationData.Evaluation(_size);
            int stageIndex = stage == Stage.Align ? 0 : 1;
            var sampler = PerDomainBatchSampler.ForTraining(_split, _options.BatchSizePerDomain, DistillationData.Seed(_options.Seed, stageIndex, 0, 0));
            // The sampler is a pure function of its seed: skipping the completed steps restores the data order.
            using var batches = sampler.Skip((int)state.Step).GetEnumerator();
            for (long step = state.Step; step < steps; step++)
            {
                batches.MoveNext();
                double lossValue;
                using (var scope = NewDisposeScope())
                {
                    var examples = batches.Current.SelectMany(d => d).ToArray();
                    long current = step;
                    var images = DistillationData.LoadImages(examples, transform,
                        i => DistillationData.Seed(_options.Seed, stageIndex + 2, current, i), _device, _options.Workers);
                    var labels = DistillationData.Labels(examples, _device);
                    var loss = TrainingLoss(stage, images, labels);
                    lossValue = TrainingGuards.EnsureFiniteLoss(loss, step + 1, manager?.LastCheckpointPath);
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                }
                swad?.AddSnapshot(averaged);
                _stepObserver?.Invoke(name, step + 1, averaged);
                long done = step + 1;
                state.Step = done;

                Dictionary<string, double>? metrics = null;
                if (done % _options.EvaluateEvery == 0 || done == steps)
                {
                    var (accuracy, validationLoss, distillationLoss) = Validate();
                    Configure(stage);
                    var evaluation = new Vl2vAdipEvaluation(name, done, accuracy, validationLoss, distillationLoss);
                    state.Evaluations.Add(evaluation);
                    swad?.Evaluate(validationLoss);
                    if (accuracy > state.BestAccuracy)
                    {
                        best.Capture(averaged);
                        state.BestAccuracy = accuracy;
                        state.BestStep = done;
                    }
                    metrics = new() { ["val_accuracy"] = accuracy, ["val_loss"] = validationLoss };
                    _logger?.LogInformation("Stage {Stage} step {Step}/{Total}: loss {Loss:F4}, validation accuracy {Accuracy:P2}, validation loss {ValidationLoss:F4}, SWAD {Phase}.",
                        name, done, steps, lossValue, accuracy, validationLoss, swad?.Window.Phase.ToString() ?? "off");
                }

                var elapsed = TimeSpan.FromSeconds(state.ElapsedSeconds) + clock.Elapsed;
                _options.Progress?.Report(new TrainingProgress(name, done, steps, lossValue, _options.LearningRate, elapsed, metrics));

                bool cancelled = _options.CancellationToken.IsCancellationRequested;
                if (manager is not null && done < steps && (done % checkpointEvery == 0 || cancelled))
                {
                    double before = state.ElapsedSeconds; // time of earlier runs; this run's clock keeps going
                    state.ElapsedSeconds = elapsed.TotalSeconds;
                    manager.Save(done, contents, state);
                    state.ElapsedSeconds = before;
                }
                _options.CancellationToken.ThrowIfCancellationRequested();
            }

            state.Summary = Finish(stage, name, averaged, swad, best, state);
            state.Completed = true;
            state.ElapsedSeconds += clock.Elapsed.TotalSeconds;
            _evaluations.AddRange(state.Evaluations);
            _summaries.Add(state.Summary);
            manager?.Save(steps, contents, state);
            _observer?.Invoke(name, false, _network!);
            _options.CancellationToken.ThrowIfCancellationRequested(); // cancelled during the last step: the stage is saved as complete
        }

        /// <summary>Chooses the stage's weights: the SWAD average when a valley was found (for stage 1 only if it validates at least as well as the best checkpoint), else the best checkpoint.</summary>
        private Vl2vAdipStageSummary Finish(Stage stage, string name, nn.Module averaged, SwadAverager? swad, ModuleSnapshot best, StageState state)
        {
            long? startStep = null, endStep = null;
            double? swadAccuracy = null;
            long averagedSteps = 0;
            string used = "best";
            if (swad is not null && swad.Window.Start is int start && swad.Count > 0)
            {
                // Evaluation i closes the segment of steps (step of evaluation i−1, step of evaluation i].
                averagedSteps = swad.Count;
                startStep = start == 0 ? 1 : state.Evaluations[start - 1].Step + 1;
                endStep = state.Evaluations[swad.Window.ConfirmedEnd!.Value - 1].Step;
                if (swad.TryCopyTo(averaged))
                {
                    swadAccuracy = Validate().Accuracy;
                    used = "swad";
                }
            }
            bool preferBest = used == "best" || (stage == Stage.Align && state.BestAccuracy > swadAccuracy);
            if (preferBest && !best.IsEmpty)
            {
                best.CopyTo(averaged);
                used = "best";
            }
            _logger?.LogInformation("Stage {Stage} done: kept the {Used} weights (best step {BestStep}, accuracy {Best:P2}; SWAD {Swad}).",
                name, used, state.BestStep, state.BestAccuracy, swadAccuracy is null ? "no valley" : $"{averagedSteps} steps, accuracy {swadAccuracy:P2}");
            return new Vl2vAdipStageSummary(name, startStep, endStep, averagedSteps, swadAccuracy, state.BestStep, state.BestAccuracy, used);
        }

        private Tensor TrainingLoss(Stage stage, Tensor images01, Tensor labels)
        {
            var network = _network!;
            var studentInput = StudentInput(images01);
            if (Method == DistillationMethod.Erm)
                return nn.functional.cross_entropy(network.call(studentInput), labels);

            Tensor teacherImage;
            using (no_grad()) teacherImage = TeacherEmbed(images01); // the same augmented view the student sees
            if (Method == DistillationMethod.KnowledgeDistillation)
                return KnowledgeDistillationLoss.Compute(network.call(studentInput), _textHead!.call(teacherImage), labels,
                    _options.KdTemperature, _options.KdWeight);

            Tensor z;
            if (stage == Stage.Align)
            {
                Tensor features;
                using (no_grad()) features = network.Backbone.call(studentInput);
                z = network.Head!.call(features);
            }
            else
            {
                z = network.call(studentInput);
            }
            var classText = _textHead!.ClassEmbeddings.index_select(0, labels);
            return Vl2vAdipLoss.Compute(z, teacherImage, classText, _options.Lambda);
        }

        /// <summary>
        /// On the un-augmented validation split, each averaged over the source domains: accuracy, the cross-entropy of the
        /// class logits (SWAD's signal, as DomainBed's evaluator computes it) and, for the distilled models, the VL2V loss.
        /// </summary>
        private (double Accuracy, double Loss, double? DistillationLoss) Validate()
        {
            var network = _network!;
            network.eval();
            var perDomain = new Dictionary<string, (long Right, double Loss, double Distill, int Count)>(StringComparer.Ordinal);
            using (no_grad())
            {
                DistillationData.ForEachBatch(_split.Validation, _size, _options.EvaluationBatchSize, _device, (start, slice, images) =>
                {
                    var labels = DistillationData.Labels(slice, _device);
                    var output = network.call(StudentInput(images));
                    bool textLogits = _textHead is not null && Method != DistillationMethod.KnowledgeDistillation;
                    var logits = textLogits ? _textHead!.call(output) : output;
                    var right = logits.argmax(-1).eq(labels).cpu().data<bool>().ToArray();
                    var losses = nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.None).cpu().data<float>().ToArray();
                    float[]? distill = null;
                    if (textLogits)
                    {
                        // Per-example VL2V loss: λ·(−cos(z, I)) + (1−λ)·(−cos(z, T_y)).
                        var teacher = _validationTeacher!.narrow(0, start, slice.Count);
                        var classText = _textHead!.ClassEmbeddings.index_select(0, labels);
                        var imageCos = nn.functional.cosine_similarity(output, teacher, dim: 1);
                        var textCos = nn.functional.cosine_similarity(output, classText, dim: 1);
                        distill = imageCos.mul(-_options.Lambda).sub(textCos.mul(1 - _options.Lambda)).cpu().data<float>().ToArray();
                    }
                    for (int i = 0; i < slice.Count; i++)
                    {
                        string domain = slice[i].Domain ?? "";
                        var (r, l, d, n) = perDomain.GetValueOrDefault(domain);
                        perDomain[domain] = (r + (right[i] ? 1 : 0), l + losses[i], d + (distill?[i] ?? 0), n + 1);
                    }
                }, _options.CancellationToken, _options.Workers);
            }
            double accuracy = perDomain.Values.Average(d => (double)d.Right / d.Count);
            double loss = perDomain.Values.Average(d => d.Loss / d.Count);
            double? distillation = _textHead is not null && Method != DistillationMethod.KnowledgeDistillation
                ? perDomain.Values.Average(d => d.Distill / d.Count)
                : null;
            return (accuracy, loss, distillation);
        }

        public void Dispose()
        {
            _network?.Dispose();
            _textHead?.Dispose();
            _validationTeacher?.Dispose();
        }
    }

    /// <summary>The JSON part of a stage checkpoint.</summary>
    private sealed class StageState
    {
        public long Step { get; set; }
        public double ElapsedSeconds { get; set; }
        public List<Vl2vAdipEvaluation> Evaluations { get; set; } = [];
        public double BestAccuracy { get; set; } = -1;
        public long BestStep { get; set; }
        public bool Completed { get; set; }
        public Vl2vAdipStageSummary? Summary { get; set; }

        /// <summary>The run's settings (<see cref="RunIdentity.Settings"/>); null in checkpoints written before they were recorded.</summary>
        public Dictionary<string, string>? Settings { get; set; }
    }
}
