using System.Diagnostics;
using EdSam.Clip;
using EdSam.Data;
using EdSam.Data.FashionMnist;
using EdSam.Diffusion;
using EdSam.Diffusion.Models;
using EdSam.Diffusion.Training;
using EdSam.Diffusion.Transport;
using EdSam.Distillation;
using EdSam.Distillation.Students;
using EdSam.Imaging;
using EdSam.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace EdSam.Demo;

/// <summary>
/// One fold of the demo (a held-out domain and a seed): its stages in order, each in its own folder under the fold
/// folder and skipped when that folder already holds its <c>result.json</c>. The two CLIP stages are the same run
/// with and without the transported samples; the three students learn from the same (ED-SAM) teacher. With a
/// <see cref="PretrainedClip"/> both CLIP stages fine-tune its weights with its BPE tokenizer instead of training the
/// tiny word-level CLIP from scratch.
/// </summary>
internal sealed class DemoPipeline(DemoSettings settings, DomainSplit split, int seed, string foldFolder, PretrainedClip? pretrained = null)
{
    private const int ContextLength = 16;

    /// <summary>
    /// Zero-shot prompts: the canonical caption of every source domain ("a sketch of a {}", "a negative of a {}", …),
    /// whose text embeddings are averaged per class — VL2V-ADiP's domain templates. A single "a photo of a {}" prompt
    /// would match only the photo domain's captions of this tiny CLIP. The held-out domain's name is never used.
    /// </summary>
    private readonly string[] Templates = split.SourceDomains
        .Select(d => FashionMnistCaptions.Caption(FashionMnistDomains.Parse(d), 0).Replace(FashionMnistClasses.Names[0], "{}", StringComparison.Ordinal))
        .ToArray();

    /// <summary>Stage folder names, in the order they run.</summary>
    public static readonly string[] Stages = ["1-diffusion", "2-transport", "3-clip", "4-edsam", "5-erm", "6-kd", "7-vl2v-adip"];

    public Dictionary<string, StageResult> Results { get; } = [];

    /// <summary>Stages whose result was read from an earlier run rather than computed by this one.</summary>
    public HashSet<string> Resumed { get; } = [];

    public string Folder(string stage) => Path.Combine(foldFolder, stage);

    public void RunAll()
    {
        Run("1-diffusion", TrainDiffusion);
        Run("2-transport", Transport);
        Run("3-clip", folder => TrainClip(folder, adversarial: false));
        Run("4-edsam", folder => TrainClip(folder, adversarial: true));
        Run("5-erm", folder => Distill(folder, DistillationMethod.Erm));
        Run("6-kd", folder => Distill(folder, DistillationMethod.KnowledgeDistillation));
        Run("7-vl2v-adip", folder => Distill(folder, DistillationMethod.Vl2vAdip));
    }

    private ProgressTask? _task;

    private void Run(string stage, Func<string, StageResult> body)
    {
        if (StageResult.TryLoad(Folder(stage)) is { } done)
        {
            Results[stage] = done;
            Resumed.Add(stage);
            return;
        }
        Directory.CreateDirectory(Folder(stage));
        var watch = Stopwatch.StartNew();
        StageResult result = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                _task = ctx.AddTask(Markup.Escape($"{split.TestDomain} seed {seed} {stage}"));
                result = body(Folder(stage));
                _task.Value = _task.MaxValue;
            });
        result = result with { Stage = stage, Seconds = watch.Elapsed.TotalSeconds };
        result.Save(Folder(stage));
        Results[stage] = result;
        string accuracy = result.Accuracy.TryGetValue(TestKey, out double test) ? $", held-out {test:P1}" : "";
        AnsiConsole.MarkupLine(Markup.Escape($"{split.TestDomain} seed {seed} {stage}: {result.Seconds:F1} s{accuracy}"));
    }

    /// <summary>The accuracy key of the held-out domain.</summary>
    public string TestKey => $"test:{split.TestDomain}";

    // ---- shared pieces ------------------------------------------------------------------------------------------

    private WordTokenizer? _words;

    /// <summary>The tiny CLIP's word tokenizer: built once per fold from the captions and prompts it will see.</summary>
    private WordTokenizer Tokenizer() => _words ??= new WordTokenizer(
        split.Train.Select(e => e.Caption ?? "").Concat(Templates).Concat(split.ClassNames).SelectMany(WordTokenizer.Split), ContextLength);

    private ClipConfig ClipConfigFor(WordTokenizer tokenizer) => ClipConfig.FromJsonText($$"""
        {
          "embed_dim": 64,
          "vision_cfg": { "image_size": {{settings.ImageSize}}, "layers": 3, "width": 96, "head_width": 32, "patch_size": {{settings.ImageSize / 4}} },
          "text_cfg": { "context_length": {{ContextLength}}, "vocab_size": {{tokenizer.VocabSize}}, "width": 64, "heads": 2, "layers": 2 }
        }
        """, "demo tiny CLIP");

    /// <summary>The tokenization of the CLIP being trained: the given model's BPE, or the word tokenizer of the tiny CLIP.</summary>
    private Func<IReadOnlyList<string>, Tensor> Tokenize() => pretrained is null ? Tokenizer().Tokenize : pretrained.Tokenize;

    private ClipModel LoadClip(string stage) =>
        ClipModel.FromPretrained(pretrained?.Config ?? ClipConfigFor(Tokenizer()), Path.Combine(Folder(stage), "clip.safetensors"));

    private Dictionary<string, double> EvaluateClip(ClipModel model, Func<IReadOnlyList<string>, Tensor> tokenize)
    {
        var accuracy = new Dictionary<string, double>();
        foreach (var (domain, examples) in split.ValidationByDomain)
            if (examples.Count > 0) accuracy[$"val:{domain}"] = EdSamTrainer.Evaluate(model, tokenize, examples, split.ClassNames, Templates);
        accuracy["val:all"] = EdSamTrainer.Evaluate(model, tokenize, split.Validation, split.ClassNames, Templates);
        accuracy[TestKey] = EdSamTrainer.Evaluate(model, tokenize, split.Test, split.ClassNames, Templates);
        return accuracy;
    }

    private IProgress<TrainingProgress> Report() => new SyncProgress(p =>
    {
        if (_task is null) return;
        _task.MaxValue = Math.Max(1, p.TotalSteps);
        _task.Value = p.Step;
    });

    private UNet2D LoadUNet() => UNet2D.Load(Folder("1-diffusion"));

    private AdversarialDiffusionSampler Sampler(UNet2D unet) =>
        new(new TransportTransformation(unet, new TransportOptions
        {
            SamplesPerImage = settings.SamplesPerImage, SamplingSteps = settings.SamplingSteps, Seed = seed,
        }), batchSize: 32);

    // ---- stages -------------------------------------------------------------------------------------------------

    /// <summary>1: a Tiny class-conditioned UNet (pixel space) trained on the source images only.</summary>
    private StageResult TrainDiffusion(string folder)
    {
        manual_seed(seed);
        using var unet = new UNet2D(UNet2DConfig.Tiny(settings.ImageSize) with { NumClasses = split.ClassNames.Count });
        var loaded = split.Train.Select(e => e.Image.Load()).ToArray();
        using var images = stack(loaded);
        foreach (var image in loaded) image.Dispose();
        using var labels = tensor(split.Train.Select(e => (long)e.Label!.Value).ToArray());
        var trainer = new DiffusionTrainer(unet, new DiffusionTrainerOptions
        {
            Steps = settings.DiffusionSteps, BatchSize = 32, LearningRate = 1e-3, WarmupSteps = 10, EmaDecay = settings.DiffusionEmaDecay,
            CheckpointEvery = 0, Seed = seed,
        });
        var result = trainer.Fit(images, labels, progress: Report());
        // Fit leaves the EMA weights in the model: those are the ones to sample with.
        unet.Save(folder);
        return new StageResult { Losses = [.. result.Losses], Note = $"{unet.ParameterCount:N0} parameters" };
    }

    /// <summary>2: transported samples x* of eight source images, saved as a grid (each row: the source, then its M x*).</summary>
    private StageResult Transport(string folder)
    {
        using var unet = LoadUNet();
        var sampler = Sampler(unet);
        // One source per class where possible, so the grid shows the whole label set.
        var sources = split.Train.GroupBy(e => e.Label).Select(g => g.First()).Take(8).ToArray();
        using var scope = NewDisposeScope();
        var rows = new List<Tensor>();
        var samples = sampler.GenerateBatch(sources);
        foreach (var source in sources)
        {
            rows.Add(source.Image.Load());
            rows.AddRange(samples.Where(s => s.Source.Key == source.Key).OrderBy(s => s.SampleIndex).Select(s => s.Image));
        }
        ImageGrid.Save(Path.Combine(folder, "transport-grid.png"), stack(rows), columns: settings.SamplesPerImage + 1);
        foreach (var sample in samples) sample.Dispose();
        return new StageResult { Note = $"{sources.Length} sources × {settings.SamplesPerImage} samples" };
    }

    /// <summary>
    /// 3 and 4: a tiny CLIP trained from scratch (or the given CLIP fine-tuned) on the source domains' captions, without
    /// (3) or with (4) the transported samples x* of every training image, L = L_CLIP(x, p) + w·L_CLIP(x*, p). Same
    /// initial weights, same batches, same steps: the only difference is the adversarial term.
    /// </summary>
    private StageResult TrainClip(string folder, bool adversarial)
    {
        var words = pretrained is null ? Tokenizer() : null;
        Func<IReadOnlyList<string>, Tensor> tokenize = words is null ? pretrained!.Tokenize : words.Tokenize;
        manual_seed(seed);
        using var model = words is null ? pretrained!.Load() : new ClipModel(ClipConfigFor(words));
        using var unet = adversarial ? LoadUNet() : null;
        using var source = unet is null ? null : new SamplerAdversarialSource(Sampler(unet), capacity: split.Train.Count);
        var trainer = new EdSamTrainer(new EdSamOptions
        {
            Epochs = settings.ClipEpochs, BatchSize = settings.ClipBatchSize, LearningRate = settings.ClipLearningRate,
            WarmupSteps = 10, AdversarialWeight = settings.AdversarialWeight, Seed = seed,
        });
        var result = trainer.Fit(split.Train, split.ClassNames, model, tokenize, source, Report());
        result.Save(Path.Combine(folder, "clip.safetensors"));
        return new StageResult
        {
            Losses = [.. result.Losses], Accuracy = EvaluateClip(model, tokenize),
            Note = $"{model.parameters().Sum(p => p.numel()):N0} parameters, " +
                (words is null ? $"fine-tuned from {Path.GetFileName(pretrained!.Record.Weights)}" : $"{words.VocabSize} word vocabulary") +
                (source is null ? "" : $", x* generated for {source.Generated} images"),
        };
    }

    /// <summary>5–7: a TinyResNet student of the ED-SAM CLIP teacher, trained by ERM, KD or VL2V-ADiP.</summary>
    private StageResult Distill(string folder, DistillationMethod method)
    {
        using var teacher = LoadClip("4-edsam");
        // As in the paper's protocol, every method trains for the recipe's step count (VL2V-ADiP for each of its two
        // stages). The student starts from random weights (no ImageNet checkpoint offline), so it needs a far larger
        // learning rate than the paper's fine-tuning default of 5e-5.
        int steps = settings.StudentSteps;
        var trainer = new Vl2vAdipTrainer(new Vl2vAdipOptions
        {
            Method = method, Teacher = teacher, Tokenize = Tokenize(), Templates = Templates, Student = StudentArchitecture.TinyResNet,
            AlignSteps = steps, DistillSteps = steps, EvaluateEvery = Math.Max(1, settings.StudentSteps / 5),
            BatchSizePerDomain = 16, LearningRate = 1e-3, Workers = 1, Seed = seed, Progress = Report(),
        });
        using var student = trainer.Fit(split);
        student.Save(folder);
        var accuracy = new Dictionary<string, double>
        {
            ["val:all"] = student.Evaluate(split.Validation).Accuracy,
            [TestKey] = student.Evaluate(split.Test).Accuracy,
        };
        return new StageResult { Accuracy = accuracy };
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
