using EdSam.Diffusion.Training;

namespace EdSam.Diffusion.Tests.Training;

public class DiffusionTrainerOptionsTests
{
    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new DiffusionTrainerOptions();
        options.Steps.Should().Be(10_000);
        options.BatchSize.Should().Be(32);
        options.LearningRate.Should().Be(1e-4);
        options.WeightDecay.Should().Be(0.01);
        options.WarmupSteps.Should().Be(0);
        options.CosineDecay.Should().BeFalse();
        options.MaxGradientNorm.Should().Be(1.0);
        options.EmaDecay.Should().Be(0.9999);
        options.ConditioningDropout.Should().Be(0.1);
        options.CheckpointEvery.Should().Be(1000);
        options.CheckpointDirectory.Should().BeNull();
        options.KeepLastCheckpoints.Should().Be(3);
        options.Seed.Should().Be(0);
        options.Device.Should().BeNull();
    }

    [Fact]
    public void Validate_lists_every_error_at_once()
    {
        var options = new DiffusionTrainerOptions { Steps = 0, ConditioningDropout = 1.5, WarmupSteps = 5, LearningRate = 0 };

        var act = () => options.Validate();

        var message = act.Should().Throw<OptionsValidationException>().Which.Message;
        message.Should().StartWith("Invalid DiffusionTrainerOptions: ");
        message.Should().Contain("The field Steps must be between 1 and");
        message.Should().Contain("The field ConditioningDropout must be between 0 and 1.");
        message.Should().Contain("The field LearningRate must be between");
        message.Should().Contain("The field CheckpointEvery (1000) needs a CheckpointDirectory");
        message.Should().Contain("The field WarmupSteps (5) must not exceed Steps (0).");
    }

    [Fact]
    public void Warmup_without_cosine_rises_linearly_then_stays_constant()
    {
        var schedule = new DiffusionTrainerOptions { Steps = 10, WarmupSteps = 4, LearningRate = 1e-3, CheckpointEvery = 0 }.Schedule();
        schedule.At(0).Should().BeLessThan(1e-3);
        schedule.At(4).Should().BeApproximately(1e-3, 1e-12);
        schedule.At(9).Should().BeApproximately(1e-3, 1e-12);
    }
}
