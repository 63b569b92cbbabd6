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

/// <summary>The demo's stages, in order; each writes into its own folder under the output folder and is skipped
/// when that folder already holds its <c>result.json</c>.</summary>
internal sealed class DemoPipeline(DemoSettings settings, DomainSplit split)
{
    private const int ContextLength = 16;
    private static readonly string[] Templates = ["a photo of a {}."];

    public Dictionary<string, StageResult> Results { get; } = [];

    /// <summary>Stages whose result was read from an earlier run rather than computed by this one.</summary>
    public HashSet<string> Resumed { get; } = [];

    private string Folder(string stage) => Path.Combine(settings.OutputFolder, stage);

    public void RunAll()
    {
        Run("1-clip", TrainClip);
        Run("2-zero-shot", ZeroShot);
        Run("3-diffusion", TrainDiffusion);
        Run("4-transport", Transport);
        Run("5-edsam", EdSamFineTune);
        Run("6-distill", Distill);
    }

    private void Run(string stage, Func<string, ProgressTask, StageResult> body)
    {
        if (StageResult.TryLoad(Folder(stage)) is { } done)
        {
            AnsiConsole.MarkupLine($"[grey]{stage}: finished earlier ({done.Seconds:F1} s), skipped[/]");
            Results[stage] = done;
            Resumed.Add(stage);
            return;
        }
        Directory.CreateDirectory(Folder(stage));
        var watch = Stopwatch.StartNew();
        StageResult result = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx => result = body(Folder(stage), ctx.AddTask(stage)));
        result = result with { Stage = stage, Seconds = watch.Elapsed.TotalSeconds };
        result.Save(Folder(stage));
        Results[stage] = result;
        string accuracy = string.Join(", ", result.Accuracy.Select(p => $"{p.Key} {p.Value:P1}"));
        AnsiConsole.MarkupLine($"[green]{stage}[/]: {result.Seconds:F1} s {Markup.Escape(accuracy)}");
    }

    // ---- shared pieces ------------------------------------------------------------------------------------------

    private WordTokenizer Tokenizer()
    {
        string path = Path.Combine(Folder("1-clip"), "words.txt");
        if (File.Exists(path)) return WordTokenizer.Load(path, ContextLength);
        var captions = split.Train.Select(e => e.Caption ?? "").Concat(Templates).Concat(split.ClassNames);
        return new WordTokenizer(captions.SelectMany(WordTokenizer.Split), ContextLength);
    }

    private ClipConfig ClipConfigFor(WordTokenizer tokenizer) => ClipConfig.FromJsonText($$"""
        {
          "embed_dim": 64,
          "vision_cfg": { "image_size": {{settings.ImageSize}}, "layers": 3, "width": 96, "head_width": 32, "patch_size": {{settings.ImageSize / 4}} },
          "text_cfg": { "context_length": {{ContextLength}}, "vocab_size": {{tokenizer.VocabSize}}, "width": 64, "heads": 2, "layers": 2 }
        }
        """, "demo tiny CLIP");

    private ClipModel LoadClip(string stage)
    {
        var config = ClipConfigFor(Tokenizer());
        return ClipModel.FromPretrained(config, Path.Combine(Folder(stage), "clip.safetensors"));
    }

    private Dictionary<string, double> EvaluateClip(ClipModel model, WordTokenizer tokenizer)
    {
        var accuracy = new Dictionary<string, double>();
        foreach (var (domain, examples) in split.ValidationByDomain)
            if (examples.Count > 0) accuracy[$"val:{domain}"] = EdSamTrainer.Evaluate(model, tokenizer.Tokenize, examples, split.ClassNames, Templates);
        accuracy["val:all"] = EdSamTrainer.Evaluate(model, tokenizer.Tokenize, split.Validation, split.ClassNames, Templates);
        accuracy[$"test:{split.TestDomain}"] = EdSamTrainer.Evaluate(model, tokenizer.Tokenize, split.Test, split.ClassNames, Templates);
        return accuracy;
    }

    private static IProgress<TrainingProgress> Report(ProgressTask task) => new SyncProgress(p =>
    {
        task.MaxValue = Math.Max(1, p.TotalSteps);
        task.Value = p.Step;
    });

    private UNet2D LoadUNet() => UNet2D.Load(Folder("3-diffusion"));

    private AdversarialDiffusionSampler Sampler(UNet2D unet) =>
        new(new TransportTransformation(unet, new TransportOptions
        {
            SamplesPerImage = settings.SamplesPerImage, SamplingSteps = settings.SamplingSteps, Seed = settings.Seed,
        }), batchSize: 16);

    // ---- stages -------------------------------------------------------------------------------------------------

    /// <summary>1: a tiny CLIP trained from scratch on the source domains' captions (plain CLIP loss, no x*).</summary>
    private StageResult TrainClip(string folder, ProgressTask task)
    {
        var tokenizer = Tokenizer();
        tokenizer.Save(Path.Combine(folder, "words.txt"));
        manual_seed(settings.Seed);
        using var model = new ClipModel(ClipConfigFor(tokenizer));
        var trainer = new EdSamTrainer(new EdSamOptions
        {
            Epochs = settings.ClipEpochs, BatchSize = settings.ClipBatchSize, LearningRate = settings.ClipLearningRate,
            WarmupSteps = 10, Seed = settings.Seed,
        });
        var result = trainer.Fit(split.Train, split.ClassNames, model, tokenizer.Tokenize, null, Report(task));
        result.Save(Path.Combine(folder, "clip.safetensors"));
        return new StageResult { Losses = [.. result.Losses], Note = $"{model.parameters().Sum(p => p.numel()):N0} parameters, {tokenizer.VocabSize} word vocabulary" };
    }

    /// <summary>2: zero-shot accuracy of the stage-1 CLIP, per source domain (validation) and on the held-out domain.</summary>
    private StageResult ZeroShot(string folder, ProgressTask task)
    {
        using var model = LoadClip("1-clip");
        var accuracy = EvaluateClip(model, Tokenizer());
        task.Value = task.MaxValue;
        return new StageResult { Accuracy = accuracy };
    }

    /// <summary>3: a Tiny class-conditioned UNet (pixel space) trained on the source images.</summary>
    private StageResult TrainDiffusion(string folder, ProgressTask task)
    {
        manual_seed(settings.Seed);
        using var unet = new UNet2D(UNet2DConfig.Tiny(settings.ImageSize) with { NumClasses = split.ClassNames.Count });
        var loaded = split.Train.Select(e => e.Image.Load()).ToArray();
        using var images = stack(loaded);
        foreach (var image in loaded) image.Dispose();
        using var labels = tensor(split.Train.Select(e => (long)e.Label!.Value).ToArray());
        var trainer = new DiffusionTrainer(unet, new DiffusionTrainerOptions
        {
            Steps = settings.DiffusionSteps, BatchSize = 32, LearningRate = 1e-3, WarmupSteps = 10, EmaDecay = 0, CheckpointEvery = 0, Seed = settings.Seed,
        });
        var result = trainer.Fit(images, labels, progress: Report(task));
        unet.Save(folder);
        return new StageResult { Losses = [.. result.Losses], Note = $"{unet.ParameterCount:N0} parameters" };
    }

    /// <summary>4: transported samples x* for a few source images, saved as a grid (each row: the source, then its x*).</summary>
    private StageResult Transport(string folder, ProgressTask task)
    {
        using var unet = LoadUNet();
        var sampler = Sampler(unet);
        var sources = split.Train.Take(8).ToArray();
        using var scope = NewDisposeScope();
        var rows = new List<Tensor>();
        var samples = sampler.GenerateBatch(sources);
        foreach (var source in sources)
        {
            rows.Add(source.Image.Load());
            rows.AddRange(samples.Where(s => ReferenceEquals(s.Source, source) || s.Source.Key == source.Key).OrderBy(s => s.SampleIndex).Select(s => s.Image));
        }
        ImageGrid.Save(Path.Combine(folder, "transport-grid.png"), stack(rows), columns: settings.SamplesPerImage + 1);
        foreach (var sample in samples) sample.Dispose();
        task.Value = task.MaxValue;
        return new StageResult { Note = $"{sources.Length} sources × {settings.SamplesPerImage} samples" };
    }

    /// <summary>5: ED-SAM — the stage-1 CLIP fine-tuned with the transported samples as adversarial images.</summary>
    private StageResult EdSamFineTune(string folder, ProgressTask task)
    {
        var tokenizer = Tokenizer();
        using var model = LoadClip("1-clip");
        using var unet = LoadUNet();
        using var adversarial = new SamplerAdversarialSource(Sampler(unet));
        var trainer = new EdSamTrainer(new EdSamOptions
        {
            Epochs = settings.EdSamEpochs, BatchSize = settings.ClipBatchSize, LearningRate = settings.EdSamLearningRate,
            WarmupSteps = 5, Seed = settings.Seed,
        });
        var result = trainer.Fit(split.Train, split.ClassNames, model, tokenizer.Tokenize, adversarial, Report(task));
        result.Save(Path.Combine(folder, "clip.safetensors"));
        return new StageResult { Losses = [.. result.Losses], Accuracy = EvaluateClip(model, tokenizer) };
    }

    /// <summary>6: VL2V-ADiP — a TinyResNet student distilled from the ED-SAM CLIP teacher.</summary>
    private StageResult Distill(string folder, ProgressTask task)
    {
        var tokenizer = Tokenizer();
        using var teacher = LoadClip("5-edsam");
        // The student starts from random weights here (no ImageNet checkpoint offline), so it needs a far larger
        // learning rate than the paper's fine-tuning default; 1e-3 doubles its source accuracy over 5e-5 in the quick run.
        var trainer = new Vl2vAdipTrainer(new Vl2vAdipOptions
        {
            Teacher = teacher, Tokenize = tokenizer.Tokenize, Templates = Templates, Student = StudentArchitecture.TinyResNet,
            AlignSteps = settings.DistillSteps, DistillSteps = settings.DistillSteps, EvaluateEvery = settings.DistillSteps,
            BatchSizePerDomain = 16, LearningRate = 1e-3, Workers = 1, Seed = settings.Seed, Progress = Report(task),
        });
        using var student = trainer.Fit(split);
        student.Save(folder);
        var accuracy = new Dictionary<string, double>
        {
            ["val:all"] = student.Evaluate(split.Validation).Accuracy,
            [$"test:{split.TestDomain}"] = student.Evaluate(split.Test).Accuracy,
        };
        return new StageResult { Accuracy = accuracy };
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
