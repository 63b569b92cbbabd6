using EdSam.Training;

namespace EdSam.Tests.Training;

public sealed class SwadWindowTests
{
    private static SwadWindow Run(params double[] losses)
    {
        var window = new SwadWindow();
        foreach (double loss in losses) window.Observe(loss);
        return window;
    }

    [Fact]
    public void Starts_at_the_first_evaluation_that_is_the_minimum_of_the_next_three()
    {
        var window = new SwadWindow();
        window.Observe(5).Should().Be(SwadPhase.Searching);
        window.Observe(4).Should().Be(SwadPhase.Searching);
        window.Observe(3).Should().Be(SwadPhase.Searching);   // [5, 4, 3]: 5 is not the minimum
        window.Observe(3.1).Should().Be(SwadPhase.Searching); // [4, 3, 3.1]: 4 is not
        window.Observe(3.2).Should().Be(SwadPhase.Averaging); // [3, 3.1, 3.2]: 3 is → t_s = 2

        window.Start.Should().Be(2);
        window.Threshold.Should().BeApproximately(3.9, 1e-12);
        window.ConfirmedEnd.Should().Be(5, "evaluations 2, 3, 4 are below the threshold");
        window.IsInWindow(1).Should().BeFalse();
        window.IsInWindow(4).Should().BeTrue();
    }

    [Fact]
    public void Ends_when_six_consecutive_losses_exceed_the_threshold()
    {
        var window = Run(5, 4, 3, 3.1, 3.2, 2.8, 3.5, 3.0, 4, 4, 4, 4, 4);
        window.Phase.Should().Be(SwadPhase.Averaging, "only five losses exceed 3.9 so far");
        window.ConfirmedEnd.Should().Be(8, "evaluations 8…12 may still turn out to be past the end");

        window.Observe(4).Should().Be(SwadPhase.Finished);

        window.Start.Should().Be(2);
        window.End.Should().Be(8);
        window.ConfirmedEnd.Should().Be(8);
        Enumerable.Range(0, 14).Where(window.IsInWindow).Should().Equal(2, 3, 4, 5, 6, 7);
        window.Observe(1).Should().Be(SwadPhase.Finished, "a finished window stays finished");
    }

    [Fact]
    public void A_loss_back_under_the_threshold_restarts_the_tolerance_count()
    {
        var window = Run(1, 1.1, 1.2, 9, 9, 9, 9, 9, 1.2, 9, 9, 9, 9, 9);
        window.Phase.Should().Be(SwadPhase.Averaging);
        window.ConfirmedEnd.Should().Be(9);

        window.Observe(9).Should().Be(SwadPhase.Finished);
        window.Start.Should().Be(0);
        window.End.Should().Be(9);
    }

    [Fact]
    public void The_threshold_is_the_start_loss_times_one_plus_the_ratio()
    {
        var window = new SwadWindow(new SwadWindowOptions { ConvergeCount = 1, ToleranceCount = 2, ToleranceRatio = 0.5 });
        window.Observe(2).Should().Be(SwadPhase.Averaging, "with N_s = 1 the first evaluation converges");
        window.Threshold.Should().Be(3);
        window.Observe(3).Should().Be(SwadPhase.Averaging, "equal to the threshold does not exceed it");
        window.Observe(3.01).Should().Be(SwadPhase.Averaging);
        window.Observe(3.01).Should().Be(SwadPhase.Finished);
        window.End.Should().Be(2);
    }

    [Fact]
    public void Defaults_are_the_papers_and_bad_options_are_all_reported()
    {
        var defaults = new SwadWindowOptions();
        defaults.ConvergeCount.Should().Be(3);
        defaults.ToleranceCount.Should().Be(6);
        defaults.ToleranceRatio.Should().Be(0.3);
        FluentActions.Invoking(() => new SwadWindow(new SwadWindowOptions { ConvergeCount = 0, ToleranceCount = 0, ToleranceRatio = -1 }))
            .Should().Throw<ArgumentException>().WithMessage(
                "Invalid SwadWindowOptions: ConvergeCount must be at least 1 (was 0). ToleranceCount must be at least 1 (was 0). ToleranceRatio must be finite and ≥ 0 (was -1).");
        FluentActions.Invoking(() => new SwadWindow().Observe(double.NaN)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
