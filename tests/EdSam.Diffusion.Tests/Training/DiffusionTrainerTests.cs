using EdSam.Diffusion.Models;
using EdSam.Diffusion.Schedulers;
using EdSam.Diffusion.Tests.TestSupport;
using EdSam.Diffusion.Training;
using EdSam.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Training;

[Collection(TrainingCollection.Name)]
public class DiffusionTrainerTests
{
    private static DiffusionTrainerOptions Options(int steps, string? checkpoints = null) => new()
    {
        Steps = steps, BatchSize = 8, LearningRate = 2e-3, EmaDecay = 0.9, ConditioningDropout = 0.2,
        CheckpointEvery = 0, CheckpointDirectory = checkpoints, Seed = 7,
    };

    private static UNet2D NewModel(long initSeed, SchedulerConfig? scheduler = null)
    {
        torch.manual_seed(initSeed);
        return new UNet2D(TinyConfigs.UNet(classes: 2), scheduler);
    }

    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.VPrediction)]
    public void Loss_goes_down_on_two_class_blobs_within_40_steps(PredictionType prediction)
    {
        using var data = new ToyBlobs();
        using var model = NewModel(1, new SchedulerConfig { PredictionType = prediction });

        var result = new DiffusionTrainer(model, Options(40)).Fit(data.Images, data.Labels);

        result.Losses.Should().HaveCount(40);
        double first = result.Losses.Take(10).Average(), last = result.Losses.TakeLast(10).Average();
        last.Should().BeLessThan(0.7 * first, $"losses were {string.Join(", ", result.Losses.Select(l => l.ToString("F3")))}");
    }

    [Fact]
    public void Resuming_after_a_cancellation_reproduces_the_uninterrupted_losses_and_weights()
    {
        using var data = new ToyBlobs();
        using var folder = new TemporaryFolder();
        const int steps = 8, cancelAfter = 3;

        using var straight = NewModel(11);
        var uninterrupted = new DiffusionTrainer(straight, Options(steps)).Fit(data.Images, data.Labels);

        using var cancellation = new CancellationTokenSource();
        using var interrupted = NewModel(11);
        var progress = new SyncProgress<TrainingProgress>(p => { if (p.Step == cancelAfter) cancellation.Cancel(); });
        var act = () => new DiffusionTrainer(interrupted, Options(steps, folder.Path)).Fit(data.Images, data.Labels, cancellationToken: cancellation.Token, progress: progress);
        act.Should().Throw<OperationCanceledException>();
        Directory.Exists(Path.Combine(folder.Path, "step-000003")).Should().BeTrue("cancellation writes a checkpoint before stopping");

        using var resumedModel = NewModel(99);   // different initial weights: everything must come from the checkpoint
        var resumed = new DiffusionTrainer(resumedModel, Options(steps, folder.Path)).Fit(data.Images, data.Labels);

        resumed.StartStep.Should().Be(cancelAfter);
        resumed.Losses.Should().Equal(uninterrupted.Losses.Skip(cancelAfter));
        foreach (var (key, weight) in straight.state_dict())
            resumedModel.state_dict()[key].allclose(weight, rtol: 0, atol: 0).Should().BeTrue(key);
    }

    [Fact]
    public void A_checkpoint_of_other_settings_is_refused_but_a_constant_rate_run_may_train_longer()
    {
        using var data = new ToyBlobs();
        using var folder = new TemporaryFolder();
        using (var model = NewModel(3)) new DiffusionTrainer(model, Options(2, folder.Path)).Fit(data.Images, data.Labels);

        using var other = NewModel(3);
        var changed = () => new DiffusionTrainer(other, Options(4, folder.Path) with { LearningRate = 1e-3 }).Fit(data.Images, data.Labels);
        changed.Should().Throw<CheckpointException>().Where(e => e.Message.Contains("LearningRate 0.002 (now 0.001)") && e.Message.Contains(folder.Path));

        // The schedule of a constant-rate run does not depend on Steps: resuming with more steps continues it.
        var longer = new DiffusionTrainer(other, Options(4, folder.Path)).Fit(data.Images, data.Labels);
        longer.StartStep.Should().Be(2);
        longer.Losses.Should().HaveCount(2);
    }

    [Fact]
    public void Resuming_a_streamed_run_skips_the_batches_already_trained_on()
    {
        using var data = new ToyBlobs(count: 12);
        using var folder = new TemporaryFolder();
        // A re-enumerable stream of three different batches (fresh tensors per enumeration, like a loader).
        IEnumerable<DiffusionBatch> Stream()
        {
            for (int b = 0; b < 3; b++)
                yield return new DiffusionBatch(data.Images.narrow(0, 4 * b, 4).clone(), new(data.Labels.narrow(0, 4 * b, 4).clone()));
        }

        using var straight = NewModel(21);
        var uninterrupted = new DiffusionTrainer(straight, Options(5)).Fit(Stream());
        using var first = NewModel(21);
        new DiffusionTrainer(first, Options(2, folder.Path)).Fit(Stream());
        using var resumedModel = NewModel(22);
        var resumed = new DiffusionTrainer(resumedModel, Options(5, folder.Path)).Fit(Stream());

        resumed.StartStep.Should().Be(2);
        resumed.Losses.Should().Equal(uninterrupted.Losses.Skip(2));
    }

    [Fact]
    public void Checkpoints_are_written_every_N_steps_and_a_finished_run_does_not_train_again()
    {
        using var data = new ToyBlobs(count: 8);
        using var folder = new TemporaryFolder();
        using var model = NewModel(2);
        var options = Options(4, folder.Path) with { CheckpointEvery = 2 };

        var first = new DiffusionTrainer(model, options).Fit(data.Images, data.Labels);
        var again = new DiffusionTrainer(model, options).Fit(data.Images, data.Labels);

        Directory.GetDirectories(folder.Path).Select(Path.GetFileName).Should().BeEquivalentTo("step-000002", "step-000004");
        first.LastCheckpoint.Should().EndWith("step-000004");
        again.StartStep.Should().Be(4);
        again.Losses.Should().BeEmpty();
    }

    [Fact]
    public void A_non_finite_loss_stops_training_with_the_step_named()
    {
        using var data = new ToyBlobs(count: 8);
        data.Images[3, 0, 5, 5] = tensor(float.NaN);
        using var model = NewModel(3);

        var act = () => new DiffusionTrainer(model, Options(5)).Fit(data.Images);

        act.Should().Throw<NonFiniteLossException>().Which.Step.Should().Be(0);
    }

    [Fact]
    public void Streamed_batches_train_and_mismatched_images_are_reported()
    {
        using var data = new ToyBlobs(count: 8);
        using var model = NewModel(4);
        var batches = new[] { new DiffusionBatch(data.Images, null) };

        new DiffusionTrainer(model, Options(2)).Fit(batches).Losses.Should().HaveCount(2);

        using var wrong = zeros(2, 3, 12, 12);
        var act = () => new DiffusionTrainer(model, Options(1)).Fit(new[] { new DiffusionBatch(wrong) });
        act.Should().Throw<ArgumentException>().WithMessage("Batch images [2, 3, 12, 12] encode to [2, 3, 12, 12] but the UNet expects [N, 3, 16, 16]*");
    }

    [Fact]
    public void Training_does_not_leak_tensors()
    {
        using var data = new ToyBlobs(count: 8);
        using var model = NewModel(5);
        long LiveTensorsAfter(DiffusionTrainerOptions options)
        {
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            new DiffusionTrainer(model, options).Fit(data.Images, data.Labels);
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }

        LiveTensorsAfter(Options(4) with { EmaDecay = 0 }).Should().Be(0);
        LiveTensorsAfter(Options(4)).Should().Be(0);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCollection
{
    /// <summary>Trainers seed torch's global generator: their tests must not run alongside others that draw from it.</summary>
    public const string Name = "Seeded training";
}

[Collection(TrainingCollection.Name)]
public class LatentDiffusionTrainingTests
{
    [Fact]
    public void The_trainer_trains_in_the_latent_space_of_a_VAE()
    {
        using var data = new ToyBlobs(count: 8);
        using var vae = new EdSam.Diffusion.Autoencoders.AutoencoderKL(new() { BlockOutChannels = [8, 8], LayersPerBlock = 1, NormNumGroups = 4, LatentChannels = 2 });
        using var model = new UNet2D(TinyConfigs.UNet(imageSize: 8, channels: 2) with { AttentionResolutions = [4] });
        var options = new DiffusionTrainerOptions { Steps = 2, BatchSize = 4, CheckpointEvery = 0, EmaDecay = 0 };

        var result = new DiffusionTrainer(model, options, vae).Fit(data.Images);

        result.Losses.Should().HaveCount(2).And.OnlyContain(l => double.IsFinite(l));
        using var pixelModel = new UNet2D(TinyConfigs.UNet());
        FluentActions.Invoking(() => new DiffusionTrainer(pixelModel, options, vae))
            .Should().Throw<ArgumentException>().WithMessage("The autoencoder produces 2-channel latents but the UNet expects InChannels = 3.*");
    }
}
