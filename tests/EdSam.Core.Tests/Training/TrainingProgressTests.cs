using EdSam.Training;

namespace EdSam.Tests.Training;

public sealed class TrainingProgressTests
{
    [Theory]
    [InlineData(0, 10, 0.0)]
    [InlineData(5, 10, 0.5)]
    [InlineData(12, 10, 1.0)]
    [InlineData(3, 0, 0.0)]
    public void Fraction_is_step_over_total_clamped_to_one(long step, long total, double expected)
    {
        new TrainingProgress("clip", step, total, 0.1, 1e-4, TimeSpan.Zero).Fraction.Should().Be(expected);
    }

    [Fact]
    public void Metrics_are_optional()
    {
        var progress = new TrainingProgress("eval", 1, 2, 0.5, 0, TimeSpan.FromSeconds(1), new Dictionary<string, double> { ["accuracy"] = 0.9 });
        progress.Metrics!["accuracy"].Should().Be(0.9);
        new TrainingProgress("eval", 1, 2, 0.5, 0, TimeSpan.Zero).Metrics.Should().BeNull();
    }
}
