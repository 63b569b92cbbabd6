using System.Text.Json.Nodes;
using EdSam.Clip;
using EdSam.Data;
using EdSam.Diffusion.Tests.TestSupport;
using EdSam.Diffusion.Transport;
using EdSam.Training;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Training;

/// <summary>The two checks that keep ED-SAM from silently doing the wrong thing: adversarial samples that match no
/// training example, and a checkpoint folder of a run with other settings (or an already finished one).</summary>
public sealed class EdSamRunChecksTests
{
    private static readonly EdSamOptions Fast = new() { Epochs = 1, BatchSize = 4, LearningRate = 1e-3, WarmupSteps = 1, Seed = 7 };

    private static AdversarialDiffusionSampler Sampler(TinyDenoiser denoiser) =>
        new(new TransportTransformation(denoiser, new TransportOptions { SamplesPerImage = 2, SamplingSteps = 2 }), batchSize: 4);

    private static Tensor[] Weights(ClipModel model) => model.parameters().Select(p => p.detach().clone()).ToArray();

    // Shards of the given examples, as 'edsam augment' writes them.
    private static ShardAdversarialSource ShardsOf(IReadOnlyList<Example> examples, string folder)
    {
        using var denoiser = new TinyDenoiser();
        var job = new AugmentationJob(Sampler(denoiser), new AugmentationJobOptions { OutputDirectory = folder, SourceExamplesPerShard = 4 }).Run(examples);
        return new ShardAdversarialSource(job.WrittenShards);
    }

    [Fact]
    public void Shards_made_from_another_copy_of_the_data_are_refused_naming_both_keys()
    {
        using var folder = new TemporaryFolder();
        var original = ToyData.Examples(4);
        var source = ShardsOf(original, folder.Path);
        // The same images under another mount: keys (absolute paths for folder data sets) no longer match.
        var copy = original.Select(e => e with { Key = "/mnt/copy/" + e.Key }).ToArray();
        using var model = TinyClip.Create();
        var before = Weights(model);

        var act = () => new EdSamTrainer(Fast).Fit(copy, null, model, TinyClip.Tokenize, source);

        var error = act.Should().Throw<DataInputException>().Which;
        error.Path.Should().Be("shards edsam-000000.tar");
        error.Message.Should().Contain("none of the 4 training examples")
            .And.Contain("'/mnt/copy/photo/0000'").And.Contain("'photo/0000'")
            .And.Contain("regenerate").And.Contain("edsam augment");
        Weights(model).Zip(before).Should().OnlyContain(p => p.First.eq(p.Second).all().item<bool>(), "nothing was trained");
    }

    [Fact]
    public void Partial_coverage_is_logged_and_reported_and_the_covered_examples_get_the_adversarial_term()
    {
        using var folder = new TemporaryFolder();
        var examples = ToyData.Examples(8);
        var source = ShardsOf(examples.Take(3).ToArray(), folder.Path);
        using var model = TinyClip.Create();
        var logger = new RecordingLogger();

        var result = new EdSamTrainer(Fast with { Logger = logger }).Fit(examples, null, model, TinyClip.Tokenize, source);

        result.AdversarialCoverage.Should().NotBeNull();
        result.AdversarialCoverage!.Covered.Should().Be(3);
        result.AdversarialCoverage.Checked.Should().Be(8);
        result.AdversarialCoverage.IsComplete.Should().BeFalse();
        result.AdversarialCoverage.Fraction.Should().Be(3.0 / 8);
        result.AdversarialCoverage.Source.Should().Be("shards edsam-000000.tar");
        logger.Entries.Should().ContainSingle(e => e.Level == LogLevel.Warning)
            .Which.Message.Should().Contain("Only 3 of 8 training examples").And.Contain("other 5");
        result.History.Should().Contain(p => p.Metrics!.ContainsKey("adversarial_loss"));
    }

    [Fact]
    public void Full_coverage_is_reported_without_a_warning_and_on_the_fly_sources_always_cover()
    {
        using var folder = new TemporaryFolder();
        var examples = ToyData.Examples(4);
        var shards = ShardsOf(examples, folder.Path);
        using var model = TinyClip.Create();
        var logger = new RecordingLogger();
        var fromShards = new EdSamTrainer(Fast with { Logger = logger }).Fit(examples, null, model, TinyClip.Tokenize, shards);
        fromShards.AdversarialCoverage.Should().Be(new Diffusion.Training.AdversarialCoverage(4, 4, "shards edsam-000000.tar"));
        logger.Entries.Should().NotContain(e => e.Level == LogLevel.Warning);

        using var denoiser = new TinyDenoiser();
        using var onTheFly = new SamplerAdversarialSource(Sampler(denoiser));
        using var other = TinyClip.Create();
        var generated = new EdSamTrainer(Fast).Fit(examples, null, other, TinyClip.Tokenize, onTheFly);
        generated.AdversarialCoverage!.IsComplete.Should().BeTrue();
        onTheFly.Generated.Should().Be(4, "checking coverage generates nothing; training generates each example once");

        using var plain = TinyClip.Create();
        new EdSamTrainer(Fast).Fit(examples, null, plain, TinyClip.Tokenize).AdversarialCoverage.Should().BeNull();
    }

    [Theory]
    [InlineData("AdversarialWeight", "AdversarialWeight 1 (now 0.5)")]
    [InlineData("LearningRate", "LearningRate 0.001 (now 0.002)")]
    [InlineData("Epochs", "Epochs 1 (now 2)")]
    // The reported case: 'edsam train' without --adversarial (weight 0, no source) on an adversarial run's folder.
    [InlineData("NoAdversarialSource", "AdversarialWeight 1 (now 0), AdversarialSource generated on the fly (now none)")]
    public void Resuming_under_a_changed_setting_is_refused_naming_it_and_the_folder(string setting, string expected)
    {
        using var folder = new TemporaryFolder();
        using var denoiser = new TinyDenoiser();
        using var source = new SamplerAdversarialSource(Sampler(denoiser));
        var examples = ToyData.Examples(8);
        using var model = TinyClip.Create();
        var options = Fast with { CheckpointDirectory = folder.Path };
        new EdSamTrainer(options).Fit(examples, null, model, TinyClip.Tokenize, source);
        var changed = setting switch
        {
            "AdversarialWeight" => options with { AdversarialWeight = 0.5 },
            "LearningRate" => options with { LearningRate = 2e-3 },
            "Epochs" => options with { Epochs = 2 },
            _ => options with { AdversarialWeight = 0 },
        };

        var act = () => new EdSamTrainer(changed).Fit(examples, null, model, TinyClip.Tokenize, setting == "NoAdversarialSource" ? null : source);

        var error = act.Should().Throw<CheckpointException>().Which;
        error.Problem.Should().Be(CheckpointProblem.Incompatible);
        error.CheckpointPath.Should().StartWith(folder.Path);
        error.Message.Should().Contain(expected).And.Contain(folder.Path).And.Contain("Use another CheckpointDirectory");
    }

    [Fact]
    public void A_finished_run_is_reported_as_already_complete_and_its_weights_are_loaded()
    {
        using var folder = new TemporaryFolder();
        var examples = ToyData.Examples(8);
        var options = Fast with { CheckpointDirectory = folder.Path };
        using var first = TinyClip.Create();
        var finished = new EdSamTrainer(options).Fit(examples, null, first, TinyClip.Tokenize);
        finished.AlreadyComplete.Should().BeFalse();

        var logger = new RecordingLogger();
        using var second = TinyClip.Create(seed: 4321);
        var rerun = new EdSamTrainer(options with { Logger = logger }).Fit(examples, null, second, TinyClip.Tokenize);

        rerun.AlreadyComplete.Should().BeTrue();
        rerun.History.Should().BeEmpty();
        rerun.Losses.Should().Equal(finished.Losses);
        rerun.LastCheckpoint.Should().Be(finished.LastCheckpoint);
        Weights(second).Zip(Weights(first)).Should().OnlyContain(p => p.First.eq(p.Second).all().item<bool>());
        logger.Entries.Should().Contain(e => e.Message.Contains("already complete") && e.Message.Contains(folder.Path));
    }

    [Fact]
    public void A_checkpoint_from_before_settings_were_recorded_still_resumes_with_a_warning()
    {
        using var folder = new TemporaryFolder();
        var examples = ToyData.Examples(8);
        var options = Fast with { Epochs = 2, CheckpointDirectory = folder.Path };
        using var cts = new CancellationTokenSource();
        using var model = TinyClip.Create();
        var stopped = new EdSamTrainer(options).Fit(examples, null, model, TinyClip.Tokenize,
            progress: new SynchronousProgress(p => { if (p.Step == 1) cts.Cancel(); }), cancellationToken: cts.Token);
        stopped.Cancelled.Should().BeTrue();
        // Rewrite the checkpoint as an older EdSam wrote it: no "Settings" in the trainer state.
        string stateFile = Path.Combine(stopped.LastCheckpoint!, "state.json");
        var json = JsonNode.Parse(File.ReadAllText(stateFile))!;
        json["trainer_state"]!.AsObject().Remove("Settings").Should().BeTrue();
        File.WriteAllText(stateFile, json.ToJsonString());

        var logger = new RecordingLogger();
        using var resumedModel = TinyClip.Create();
        var resumed = new EdSamTrainer(options with { Logger = logger }).Fit(examples, null, resumedModel, TinyClip.Tokenize);

        resumed.StepsCompleted.Should().Be(4);
        resumed.History.Should().HaveCount(3);
        logger.Entries.Should().ContainSingle(e => e.Level == LogLevel.Warning)
            .Which.Message.Should().Contain("does not record AdversarialWeight, AdversarialSource, Epochs, LearningRate");
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
