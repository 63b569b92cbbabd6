using EdSam.Distillation.Swad;
using EdSam.Training;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Swad;

public sealed class SwadAccumulatorTests
{
    /// <summary>A one-parameter module whose weight after step t is set to a known value w(t).</summary>
    private static nn.Module Scalar() => nn.Linear(1, 1, hasBias: false);

    private static void SetWeight(nn.Module module, double value)
    {
        using var noGrad = no_grad();
        module.parameters().First().fill_(value);
    }

    private static double Weight(nn.Module module) => module.parameters().First().item<float>();

    /// <summary>Runs 2 steps per evaluation with weights w(t) = t² + 1 and returns the SWAD average and the steps in the window.</summary>
    private static (double Average, double[] Expected) Run(double[] losses, SwadAccumulator swad, nn.Module module, int stepsPerEval = 2)
    {
        var window = new SwadWindow(swad.Window.Options);
        foreach (double loss in losses) window.Observe(loss);
        int end = window.End ?? losses.Length;
        var expected = new List<double>();
        int t = 0;
        for (int e = 0; e < losses.Length; e++)
        {
            for (int s = 0; s < stepsPerEval; s++)
            {
                t++;
                double w = t * t + 1;
                SetWeight(module, w);
                swad.AddStep(module);
                if (window.Start is int start && e >= start && e < end) expected.Add(w);
            }
            swad.OnEvaluation(losses[e]);
        }
        using var target = Scalar();
        swad.TryCopyAverageTo(target).Should().BeTrue();
        return (Weight(target), expected.ToArray());
    }

    [Theory]
    [InlineData(new[] { 5.0, 4.0, 3.0, 3.1, 3.2, 3.3, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 2.0, 2.0 })] // valley closes at the 9s
    [InlineData(new[] { 5.0, 4.0, 3.0, 3.1, 3.2, 3.0, 3.5, 9.0, 3.2 })]                     // still open at the end of training
    [InlineData(new[] { 1.0, 1.0, 1.0 })]                                                     // converges immediately
    public void Average_equals_the_mean_of_the_weights_inside_the_window(double[] losses)
    {
        using var swad = new SwadAccumulator(new SwadWindowOptions());
        using var module = Scalar();
        var (average, expected) = Run(losses, swad, module);
        expected.Should().NotBeEmpty();
        average.Should().BeApproximately(expected.Average(), 1e-3 * expected.Average());
        swad.AveragedSteps.Should().Be(expected.Length);
    }

    [Fact]
    public void Without_a_valley_nothing_is_averaged()
    {
        using var swad = new SwadAccumulator(new SwadWindowOptions());
        using var module = Scalar();
        foreach (double loss in new[] { 5.0, 4.0, 3.0 })
        {
            swad.AddStep(module);
            swad.OnEvaluation(loss);
        }
        using var target = Scalar();
        SetWeight(target, 42);
        swad.TryCopyAverageTo(target).Should().BeFalse();
        Weight(target).Should().Be(42);
    }

    [Fact]
    public void Holds_only_a_bounded_number_of_segments()
    {
        using var swad = new SwadAccumulator(new SwadWindowOptions());
        using var module = Scalar();
        for (int e = 0; e < 50; e++)
        {
            swad.AddStep(module);
            swad.OnEvaluation(100 - e); // never converges: loss keeps falling
        }
        swad.StateDict().Keys.Count(k => k.StartsWith("segment", StringComparison.Ordinal) && k.EndsWith("__count__", StringComparison.Ordinal))
            .Should().BeLessThanOrEqualTo(3);
    }

    [Fact]
    public void Checkpointed_state_continues_to_the_same_average()
    {
        double[] losses = [5.0, 4.0, 3.0, 3.1, 3.2, 3.3, 9.0, 9.0, 3.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0];
        using var reference = new SwadAccumulator(new SwadWindowOptions());
        using var module = Scalar();
        var (expectedAverage, _) = Run(losses, reference, module);

        // Interrupt after 7 evaluations (inside the valley), save, restore into a fresh accumulator, continue.
        using var first = new SwadAccumulator(new SwadWindowOptions());
        int t = 0;
        void Step(SwadAccumulator s, int evaluation)
        {
            for (int i = 0; i < 2; i++)
            {
                t++;
                SetWeight(module, t * t + 1);
                s.AddStep(module);
            }
            s.OnEvaluation(losses[evaluation]);
        }
        for (int e = 0; e < 7; e++) Step(first, e);
        t++;
        SetWeight(module, t * t + 1);
        first.AddStep(module); // half a segment before the interruption
        using var resumed = new SwadAccumulator(new SwadWindowOptions());
        resumed.LoadStateDict(first.StateDict());
        resumed.RestoreLosses(losses.Take(7));
        t++;
        SetWeight(module, t * t + 1);
        resumed.AddStep(module);
        resumed.OnEvaluation(losses[7]);
        for (int e = 8; e < losses.Length; e++) Step(resumed, e);

        using var target = Scalar();
        resumed.TryCopyAverageTo(target).Should().BeTrue();
        Weight(target).Should().BeApproximately(expectedAverage, 1e-6 * expectedAverage);
    }
}
