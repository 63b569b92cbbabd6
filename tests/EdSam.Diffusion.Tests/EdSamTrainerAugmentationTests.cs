using EdSam.Clip;
using EdSam.Data;
using EdSam.Data.Augmentation;
using EdSam.Diffusion.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests;

public sealed class EdSamTrainerAugmentationTests
{
    private static readonly EdSamOptions Fast = new() { Epochs = 2, BatchSize = 4, LearningRate = 1e-3, WarmupSteps = 1, Seed = 7 };

    private static readonly IImageTransform DomainBed =
        new Compose(new RandomResizedCrop(8, 0.7, 1.0), new RandomHorizontalFlip(0.5), new ColorJitter(0.3, 0.3, 0.3, 0.3), new RandomGrayscale(0.1));

    private static Tensor[] Weights(ClipModel model) => model.parameters().Select(p => p.detach().clone()).ToArray();

    /// <summary>A deterministic stand-in for an augmentation: the negative of the image.</summary>
    private sealed class Negative : IImageTransform
    {
        public Tensor Apply(Tensor image, Random random) => 1 - image;
    }

    [Fact]
    public void The_model_sees_the_augmented_images()
    {
        var examples = ToyData.Examples(8);
        var negatives = examples.Select(e => e with { Image = ImageSource.FromTensor(1 - e.Image.Load(), $"negative of {e.Key}") }).ToArray();
        using var augmented = TinyClip.Create();
        using var given = TinyClip.Create();

        var a = new EdSamTrainer(Fast with { Augmentation = new Negative() }).Fit(examples, null, augmented, TinyClip.Tokenize);
        var b = new EdSamTrainer(Fast).Fit(negatives, null, given, TinyClip.Tokenize);

        a.Losses.Should().Equal(b.Losses);
        Weights(augmented).Zip(Weights(given)).Should().OnlyContain(p => p.First.eq(p.Second).all().item<bool>());
    }

    [Fact]
    public void Random_augmentation_repeats_with_the_seed_and_changes_training()
    {
        var examples = ToyData.Examples(8);
        using var m1 = TinyClip.Create();
        using var m2 = TinyClip.Create();
        using var m3 = TinyClip.Create();
        using var m4 = TinyClip.Create();

        var first = new EdSamTrainer(Fast with { Augmentation = DomainBed }).Fit(examples, null, m1, TinyClip.Tokenize);
        var again = new EdSamTrainer(Fast with { Augmentation = DomainBed }).Fit(examples, null, m2, TinyClip.Tokenize);
        var plain = new EdSamTrainer(Fast).Fit(examples, null, m3, TinyClip.Tokenize);
        var otherSeed = new EdSamTrainer(Fast with { Augmentation = DomainBed, Seed = 8 }).Fit(examples, null, m4, TinyClip.Tokenize);

        again.Losses.Should().Equal(first.Losses);
        plain.Losses[0].Should().NotBe(first.Losses[0], "the first batch is augmented");
        otherSeed.Losses.Should().NotEqual(first.Losses);
    }

    [Fact]
    public void Resumed_augmented_training_equals_uninterrupted_training()
    {
        using var folderA = new TemporaryFolder();
        using var folderB = new TemporaryFolder();
        var examples = ToyData.Examples(8);
        using var uninterrupted = TinyClip.Create();
        var full = new EdSamTrainer(Fast with { Augmentation = DomainBed, CheckpointDirectory = folderA.Path })
            .Fit(examples, null, uninterrupted, TinyClip.Tokenize);

        using var cts = new CancellationTokenSource();
        var options = Fast with { Augmentation = DomainBed, CheckpointDirectory = folderB.Path, CheckpointEvery = 100 };
        using var first = TinyClip.Create();
        var stopped = new EdSamTrainer(options).Fit(examples, null, first, TinyClip.Tokenize,
            progress: new SynchronousProgress(p => { if (p.Step == 3) cts.Cancel(); }), cancellationToken: cts.Token);
        stopped.StepsCompleted.Should().Be(3);

        using var second = TinyClip.Create(seed: 12345);
        var resumed = new EdSamTrainer(options).Fit(examples, null, second, TinyClip.Tokenize);

        resumed.Losses.Should().Equal(full.Losses, "the augmentation draws depend on the step, not on how the run got there");
        Weights(second).Zip(Weights(uninterrupted)).Should().OnlyContain(p => p.First.eq(p.Second).all().item<bool>());
    }

    private sealed class SynchronousProgress(Action<EdSam.Training.TrainingProgress> report) : IProgress<EdSam.Training.TrainingProgress>
    {
        public void Report(EdSam.Training.TrainingProgress value) => report(value);
    }
}
