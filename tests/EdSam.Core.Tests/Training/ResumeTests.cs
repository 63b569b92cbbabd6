using EdSam.Training;
using TorchSharp;

namespace EdSam.Tests.Training;

[Collection(nameof(GlobalTorchRandom))]
public sealed class ResumeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edsam-resume-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Resuming_from_a_checkpoint_reproduces_uninterrupted_training_bit_for_bit()
    {
        // Uninterrupted: 10 steps.
        var uninterruptedLosses = new List<double>();
        Dictionary<string, double[]> uninterruptedState;
        using (var run = new TinyTraining(seed: 7, initSeed: 7))
        {
            for (long step = 0; step < TinyTraining.TotalSteps; step++) uninterruptedLosses.Add(run.Step(step));
            uninterruptedState = run.Snapshot();
        }

        // Interrupted: 5 steps, checkpoint, throw everything away.
        var resumedLosses = new List<double>();
        var manager = new CheckpointManager(new CheckpointOptions { Directory = _folder });
        using (var run = new TinyTraining(seed: 7, initSeed: 7))
        {
            for (long step = 0; step < 5; step++) resumedLosses.Add(run.Step(step));
            manager.Save(5, run.Contents, new ResumeState(Epoch: 1, Note: "half way"));
            // Keep drawing so the global generator is far from where the checkpoint left it.
            run.Step(5);
            run.Step(6);
        }

        // Resume: same run configuration (seed), but a new model with other initial weights, a new optimiser, and
        // generators moved away from their saved states.
        Dictionary<string, double[]> resumedState;
        using (var run = new TinyTraining(seed: 7, initSeed: 123))
        {
            torch.manual_seed(99);
            torch.randn(100, generator: run.Augmentation).Dispose();
            var loaded = new CheckpointManager(new CheckpointOptions { Directory = _folder }).TryLoadLatest<ResumeState>(run.Contents);
            loaded.Should().NotBeNull();
            loaded!.Step.Should().Be(5);
            loaded.TrainerState.Should().Be(new ResumeState(1, "half way"));
            for (long step = loaded.Step; step < TinyTraining.TotalSteps; step++) resumedLosses.Add(run.Step(step));
            resumedState = run.Snapshot();
        }

        resumedLosses.Should().Equal(uninterruptedLosses, "every loss must be bitwise identical after the resume");
        resumedState.Keys.Should().BeEquivalentTo(uninterruptedState.Keys);
        foreach (var (key, values) in uninterruptedState)
            resumedState[key].Should().Equal(values, $"'{key}' must be bitwise identical after the resume");
        uninterruptedLosses.Distinct().Should().HaveCount(10, "the steps must differ, or the comparison proves nothing");
    }

    [Fact]
    public void A_run_that_does_not_restore_the_checkpoint_diverges_so_the_resume_test_can_fail()
    {
        var reference = new List<double>();
        using (var run = new TinyTraining(seed: 7, initSeed: 7))
            for (long step = 0; step < 10; step++) reference.Add(run.Step(step));

        var other = new List<double>();
        using (var run = new TinyTraining(seed: 7, initSeed: 7))
        {
            for (long step = 0; step < 5; step++) other.Add(run.Step(step));
            torch.manual_seed(5);   // only the default generator is off: dropout and noise differ
            for (long step = 5; step < 10; step++) other.Add(run.Step(step));
        }

        other.Take(5).Should().Equal(reference.Take(5));
        other.Skip(5).Should().NotEqual(reference.Skip(5));
    }

    private sealed record ResumeState(int Epoch, string Note);
}
