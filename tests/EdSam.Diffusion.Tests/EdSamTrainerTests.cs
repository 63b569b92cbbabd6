using EdSam.Clip;
using EdSam.Data;
using EdSam.Data.Augmentation;
using EdSam.Diffusion.Tests.TestSupport;
using EdSam.Diffusion.Transport;
using EdSam.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests;

public sealed class EdSamTrainerTests
{
    private static readonly EdSamOptions Fast = new() { Epochs = 2, BatchSize = 4, LearningRate = 1e-3, WarmupSteps = 1, Seed = 7 };

    private static AdversarialDiffusionSampler Sampler(TinyDenoiser denoiser) =>
        new(new TransportTransformation(denoiser, new TransportOptions { SamplesPerImage = 2, SamplingSteps = 2 }), batchSize: 4);

    private static Tensor[] Weights(ClipModel model) => model.parameters().Select(p => p.detach().clone()).ToArray();

    [Fact]
    public void Defaults_are_documented_values()
    {
        var o = new EdSamOptions();
        (o.AdversarialWeight, o.Epochs, o.BatchSize, o.LearningRate, o.WarmupSteps, o.WeightDecay).Should().Be((1.0, 10, 32, 1e-5, 100, 0.1));
        (o.Beta1, o.Beta2, o.Epsilon, o.MaxGradientNorm, o.Seed, o.CheckpointEvery, o.KeepLastCheckpoints).Should().Be((0.9, 0.98, 1e-6, 1.0, 0L, 500, 3));
        o.Device.Should().BeNull();
        o.CheckpointDirectory.Should().BeNull();
        o.Augmentation.Should().BeNull("fine-tuning recipes train on the images as they are");
    }

    [Fact]
    public void Invalid_options_are_all_reported()
    {
        var act = () => new EdSamTrainer(new EdSamOptions { AdversarialWeight = -1, BatchSize = 0, LearningRate = 1e-4, MinLearningRate = 1e-3 });
        act.Should().Throw<OptionsValidationException>().WithMessage("*AdversarialWeight*").WithMessage("*BatchSize*").WithMessage("*MinLearningRate*");
    }

    [Fact]
    public void Loss_decreases_on_a_toy_data_set_with_adversarial_samples()
    {
        using var denoiser = new TinyDenoiser();
        using var model = TinyClip.Create();
        using var source = new SamplerAdversarialSource(Sampler(denoiser));
        var examples = ToyData.Examples(8);
        var result = new EdSamTrainer(Fast with { Epochs = 8 }).Fit(examples, ToyData.ClassNames, model, TinyClip.Tokenize, source);

        result.Losses.Should().HaveCount(16);
        result.History.Should().HaveCount(16);
        result.History.Should().OnlyContain(p => p.Metrics!.ContainsKey("adversarial_loss"));
        result.Losses.TakeLast(4).Average().Should().BeLessThan(result.Losses.Take(4).Average() * 0.8);
        result.Cancelled.Should().BeFalse();
        source.Generated.Should().Be(8, "each source example is generated once and then cached");
    }

    [Fact]
    public void Weight_zero_is_plain_clip_training()
    {
        using var denoiser = new TinyDenoiser();
        var examples = ToyData.Examples(8);
        using var withSource = TinyClip.Create();
        using var plain = TinyClip.Create();
        using var source = new SamplerAdversarialSource(Sampler(denoiser));
        var a = new EdSamTrainer(Fast with { AdversarialWeight = 0 }).Fit(examples, null, withSource, TinyClip.Tokenize, source);
        var b = new EdSamTrainer(Fast).Fit(examples, null, plain, TinyClip.Tokenize, adversarial: null);

        a.Losses.Should().Equal(b.Losses);
        source.Generated.Should().Be(0);
        Weights(withSource).Zip(Weights(plain)).Should().OnlyContain(p => p.First.eq(p.Second).all().item<bool>());

        // The first step's loss is CLIP's InfoNCE of the untrained model on the first batch, computed independently.
        using var fresh = TinyClip.Create();
        var c = new EdSamTrainer(Fast with { Epochs = 1, AdversarialWeight = 0 }).Fit(examples, null, fresh, TinyClip.Tokenize);
        c.Losses[0].Should().Be(b.Losses[0]);
    }

    [Fact]
    public void Adversarial_term_changes_training_when_weighted()
    {
        using var denoiser = new TinyDenoiser();
        var examples = ToyData.Examples(8);
        using var m1 = TinyClip.Create();
        using var m2 = TinyClip.Create();
        using var source = new SamplerAdversarialSource(Sampler(denoiser));
        var plain = new EdSamTrainer(Fast with { Epochs = 1 }).Fit(examples, null, m1, TinyClip.Tokenize);
        var edsam = new EdSamTrainer(Fast with { Epochs = 1 }).Fit(examples, null, m2, TinyClip.Tokenize, source);
        var step0 = edsam.History[0];
        step0.Loss.Should().BeApproximately(step0.Metrics!["clip_loss"] + step0.Metrics["adversarial_loss"], 1e-4, "L = L_CLIP(x,p) + 1·L_CLIP(x*,p)");
        step0.Metrics["clip_loss"].Should().BeApproximately(plain.Losses[0], 1e-5);
    }

    [Fact]
    public void Resumed_training_equals_uninterrupted_training()
    {
        using var folderA = new TemporaryFolder();
        using var folderB = new TemporaryFolder();
        using var denoiser = new TinyDenoiser();
        var examples = ToyData.Examples(8);
        using var source = new SamplerAdversarialSource(Sampler(denoiser));
        using var uninterrupted = TinyClip.Create();
        var full = new EdSamTrainer(Fast with { CheckpointDirectory = folderA.Path, CheckpointEvery = 3 }).Fit(examples, null, uninterrupted, TinyClip.Tokenize, source);

        using var cts = new CancellationTokenSource();
        var options = Fast with { CheckpointDirectory = folderB.Path, CheckpointEvery = 100 };
        using var first = TinyClip.Create();
        var progress = new SynchronousProgress(p => { if (p.Step == 2) cts.Cancel(); });
        var stopped = new EdSamTrainer(options).Fit(examples, null, first, TinyClip.Tokenize, source, progress, cts.Token);
        stopped.Cancelled.Should().BeTrue();
        stopped.StepsCompleted.Should().Be(2);
        stopped.LastCheckpoint.Should().EndWith("step-000002");

        torch.manual_seed(999);   // a different global RNG state: the checkpoint must restore it
        using var second = TinyClip.Create(seed: 12345);
        var resumed = new EdSamTrainer(options).Fit(examples, null, second, TinyClip.Tokenize, source);

        resumed.History.Should().HaveCount(2);
        resumed.Losses.Should().Equal(full.Losses);
        Weights(second).Zip(Weights(uninterrupted)).Should().OnlyContain(p => p.First.eq(p.Second).all().item<bool>());
    }

    [Fact]
    public void A_checkpoint_of_a_different_run_is_refused_not_silently_resumed()
    {
        using var folder = new TemporaryFolder();
        using var model = TinyClip.Create();
        var examples = ToyData.Examples(8);
        new EdSamTrainer(Fast with { Epochs = 1, CheckpointDirectory = folder.Path }).Fit(examples, null, model, TinyClip.Tokenize);
        var act = () => new EdSamTrainer(Fast with { Epochs = 2, BatchSize = 2, CheckpointDirectory = folder.Path }).Fit(examples, null, model, TinyClip.Tokenize);
        act.Should().Throw<CheckpointException>().WithMessage("*BatchSize 4 (now 2)*");
    }

    [Fact]
    public void A_nan_loss_stops_training_with_the_step_and_the_last_good_checkpoint()
    {
        using var folder = new TemporaryFolder();
        using var model = TinyClip.Create();
        var poisoned = new PoisonedSource(model, poisonAtCall: 2);   // 4 steps: 0, 1 clean; 2 poisoned
        var act = () => new EdSamTrainer(Fast with { CheckpointDirectory = folder.Path, CheckpointEvery = 1 }).Fit(ToyData.Examples(8), null, model, TinyClip.Tokenize, poisoned);
        var error = act.Should().Throw<NonFiniteLossException>().Which;
        error.Step.Should().Be(2);
        error.LastGoodCheckpoint.Should().EndWith("step-000002");
        double.IsNaN(error.Loss).Should().BeTrue();
    }

    [Fact]
    public void An_example_without_caption_or_class_is_refused_by_key()
    {
        using var model = TinyClip.Create();
        var examples = ToyData.Examples(4);
        examples[2] = examples[2] with { Caption = null };
        var act = () => new EdSamTrainer(Fast).Fit(examples, null, model, TinyClip.Tokenize);
        act.Should().Throw<ArgumentException>().WithMessage("*photo/0002*caption*");
        // With class names the caption falls back to CLIP's plain prompt.
        new EdSamTrainer(Fast with { Epochs = 1 }).Fit(examples, ToyData.ClassNames, model, TinyClip.Tokenize).Losses.Should().HaveCount(1);
    }

    [Fact]
    public void Fitting_twice_leaks_no_tensors()
    {
        using var model = TinyClip.Create();
        var examples = ToyData.Examples(8);
        // One thread, so every tensor is made (and counted) on this test's thread; ParallelRowsTests covers the workers.
        var trainer = new EdSamTrainer(Fast with { Epochs = 1, Workers = 1 });
        trainer.Fit(examples, null, model, TinyClip.Tokenize);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        trainer.Fit(examples, null, model, TinyClip.Tokenize);
        trainer.Fit(examples, null, model, TinyClip.Tokenize);
        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before);
    }

    [Fact]
    public void Evaluate_is_the_argmax_of_cosine_similarity_to_the_class_prompts()
    {
        using var model = TinyClip.Create();
        var examples = ToyData.Examples(6);
        double accuracy = EdSamTrainer.Evaluate(model, TinyClip.Tokenize, examples, ToyData.ClassNames, ["a photo of a {}."]);

        using var scope = NewDisposeScope();
        var preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.Clip(model.ImageSize));
        var images = stack(examples.Select(e => preprocessor.Preprocess(e.Image.Load())).ToArray());
        var imageFeatures = nn.functional.normalize(model.EncodeImage(images).detach(), dim: -1);
        var textFeatures = nn.functional.normalize(model.EncodeText(TinyClip.Tokenize(ToyData.ClassNames.Select(c => $"a photo of a {c}.").ToArray())).detach(), dim: -1);
        long[] predicted = imageFeatures.matmul(textFeatures.t()).argmax(-1).data<long>().ToArray();
        double expected = examples.Where((e, i) => e.Label == predicted[i]).Count() / (double)examples.Length;
        accuracy.Should().Be(expected);
    }

    private static readonly IImageTransform DomainBed =
        new Compose(new RandomResizedCrop(8, 0.7, 1.0), new RandomHorizontalFlip(0.5), new ColorJitter(0.3, 0.3, 0.3, 0.3), new RandomGrayscale(0.1));

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
    public void The_model_gets_its_own_preprocessing_and_a_wrong_crop_size_is_refused()
    {
        var examples = ToyData.Examples(8);
        using var byDefault = TinyClip.Create();
        using var explicitClip = TinyClip.Create();
        using var imageNet = TinyClip.Create();

        var a = new EdSamTrainer(Fast).Fit(examples, null, byDefault, TinyClip.Tokenize);
        var b = new EdSamTrainer(Fast with { Preprocessing = ImagePreprocessorOptions.Clip(TinyClip.Config.Vision.ImageSize) })
            .Fit(examples, null, explicitClip, TinyClip.Tokenize);
        var c = new EdSamTrainer(Fast with { Preprocessing = ImagePreprocessorOptions.ImageNet(TinyClip.Config.Vision.ImageSize) })
            .Fit(examples, null, imageNet, TinyClip.Tokenize);

        b.Losses.Should().Equal(a.Losses, "null means CLIP's preprocessing at the model's size");
        c.Losses[0].Should().NotBe(a.Losses[0], "other mean/std give the model other inputs");
        var wrongSize = () => new EdSamTrainer(Fast with { Preprocessing = ImagePreprocessorOptions.Clip(224) }).Fit(examples, null, imageNet, TinyClip.Tokenize);
        wrongSize.Should().Throw<ArgumentException>().WithMessage("*224*16*");
    }

    [Fact]
    public void Augmented_batches_are_the_same_on_one_thread_and_on_three()
    {
        var examples = ToyData.Examples(8);
        using var single = TinyClip.Create();
        using var parallel = TinyClip.Create();

        var a = new EdSamTrainer(Fast with { Augmentation = DomainBed, Workers = 1 }).Fit(examples, null, single, TinyClip.Tokenize);
        var b = new EdSamTrainer(Fast with { Augmentation = DomainBed, Workers = 3 }).Fit(examples, null, parallel, TinyClip.Tokenize);

        b.Losses.Should().Equal(a.Losses);
        Weights(single).Zip(Weights(parallel)).Should().OnlyContain(p => p.First.eq(p.Second).all().item<bool>());
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

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    /// <summary>Clean grey images; on call <c>poisonAtCall</c> (0-based, i.e. during that step) it sets CLIP's
    /// temperature to NaN, as a diverging run would, after the previous step's checkpoint was written.</summary>
    private sealed class PoisonedSource(ClipModel model, int poisonAtCall) : IAdversarialSampleSource
    {
        private int _calls;

        public IReadOnlyList<Tensor?> Get(IReadOnlyList<Example> examples, IReadOnlyList<int> choices)
        {
            if (_calls++ == poisonAtCall)
                using (no_grad()) model.named_parameters().Single(p => p.name == "logit_scale").parameter.fill_(float.NaN);
            return examples.Select(_ => (Tensor?)full(3, 8, 8, 0.5f)).ToArray();
        }
    }
}
