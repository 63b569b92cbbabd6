using EdSam.Training;
using FsCheck;
using FsCheck.Fluent;
using TorchSharp;

namespace EdSam.Tests.Training;

public sealed class LearningRateScheduleTests
{
    private const double Base = 0.1;
    private const double Min = 0.01;

    [Fact]
    public void Warmup_rises_linearly_to_the_base_rate()
    {
        var schedule = LearningRateSchedule.WarmupCosine(Base, warmupSteps: 4, totalSteps: 14, minLearningRate: Min);

        schedule.At(0).Should().BeApproximately(0.025, 1e-15);
        schedule.At(1).Should().BeApproximately(0.05, 1e-15);
        schedule.At(2).Should().BeApproximately(0.075, 1e-15);
        schedule.At(3).Should().BeApproximately(0.1, 1e-15);
    }

    [Fact]
    public void Cosine_decays_from_base_to_min_with_the_midpoint_halfway()
    {
        var schedule = LearningRateSchedule.WarmupCosine(Base, warmupSteps: 4, totalSteps: 14, minLearningRate: Min);

        schedule.At(4).Should().BeApproximately(Base, 1e-15, "cos(0) = 1 at the end of warm-up");
        schedule.At(9).Should().BeApproximately((Base + Min) / 2, 1e-15, "progress 0.5: cos(π/2) = 0");
        // progress 0.2: min + ½(base − min)(1 + cos(0.2π)), cos(0.2π) = (1 + √5)/4
        schedule.At(6).Should().BeApproximately(Min + 0.5 * (Base - Min) * (1 + (1 + Math.Sqrt(5)) / 4), 1e-15);
        schedule.At(14).Should().Be(Min);
        schedule.At(1000).Should().Be(Min);
    }

    [Fact]
    public void Zero_warmup_starts_at_the_base_rate()
    {
        LearningRateSchedule.WarmupCosine(Base, 0, 10).At(0).Should().Be(Base);
        LearningRateSchedule.WarmupCosine(Base, 0, 10).At(10).Should().Be(0);
    }

    [Fact]
    public void After_warmup_the_rate_never_rises_and_stays_within_bounds()
    {
        Prop.ForAll(Gen.Choose(0, 50).ToArbitrary(), Gen.Choose(1, 200).ToArbitrary(), (warmup, extra) =>
        {
            long total = warmup + extra;
            var schedule = LearningRateSchedule.WarmupCosine(Base, warmup, total, Min);
            double previous = double.MaxValue;
            for (long step = warmup; step <= total + 2; step++)
            {
                double lr = schedule.At(step);
                if (lr > previous + 1e-15 || lr < Min - 1e-15 || lr > Base + 1e-15) return false;
                previous = lr;
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Constant_is_constant()
    {
        var schedule = LearningRateSchedule.Constant(3e-4);
        schedule.At(0).Should().Be(3e-4);
        schedule.At(123456).Should().Be(3e-4);
    }

    [Fact]
    public void Apply_sets_every_parameter_group()
    {
        using var a = torch.nn.Linear(2, 2);
        using var b = torch.nn.Linear(2, 2);
        using var optimizer = torch.optim.AdamW([
            new TorchSharp.Modules.AdamW.ParamGroup(a.parameters(), lr: 1),
            new TorchSharp.Modules.AdamW.ParamGroup(b.parameters(), lr: 2)]);

        double lr = LearningRateSchedule.WarmupCosine(Base, 4, 14, Min).Apply(optimizer, 1);

        lr.Should().BeApproximately(0.05, 1e-15);
        optimizer.ParamGroups.Select(g => g.LearningRate).Should().Equal(lr, lr);
    }

    [Fact]
    public void Invalid_arguments_are_all_reported()
    {
        var act = () => LearningRateSchedule.WarmupCosine(-1, 20, 10, 5);
        act.Should().Throw<ArgumentException>().WithMessage(
            "Invalid WarmupCosine schedule: baseLearningRate must be finite and > 0 (was -1). " +
            "warmupSteps must be in [0, totalSteps=10] (was 20). minLearningRate must be in [0, baseLearningRate=-1] (was 5).");
        FluentActions.Invoking(() => LearningRateSchedule.Constant(double.NaN)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => LearningRateSchedule.Constant(1).At(-1)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
