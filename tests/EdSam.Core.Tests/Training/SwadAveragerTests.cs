using EdSam.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Tests.Training;

public sealed class SwadAveragerTests
{
    // Window [2, 8) for these losses (see SwadWindowTests): segments 2…7 are averaged.
    private static readonly double[] Losses = [5, 4, 3, 3.1, 3.2, 2.8, 3.5, 3.0, 4, 4, 4, 4, 4, 4];
    private const int SnapshotsPerSegment = 2;

    private static void SetWeight(Linear model, double value)
    {
        using var noGrad = torch.no_grad();
        model.weight!.fill_(value);
        model.bias!.fill_(-value);
    }

    /// <summary>Runs segments [from, to): snapshot k of the run has weight k.</summary>
    private static void RunSegments(SwadAverager swad, Linear model, int from, int to)
    {
        for (int segment = from; segment < to; segment++)
        {
            for (int s = 0; s < SnapshotsPerSegment; s++)
            {
                SetWeight(model, segment * SnapshotsPerSegment + s);
                swad.AddSnapshot(model);
            }
            swad.Evaluate(Losses[segment]);
        }
    }

    [Fact]
    public void Averages_exactly_the_snapshots_of_the_segments_inside_the_window()
    {
        using var model = nn.Linear(1, 1);
        using var swad = new SwadAverager();

        RunSegments(swad, model, 0, 4);
        FluentActions.Invoking(() => swad.CopyTo(model)).Should().Throw<InvalidOperationException>().WithMessage("*Searching*");
        swad.TryCopyTo(model).Should().BeFalse();
        RunSegments(swad, model, 4, Losses.Length);

        swad.IsFinished.Should().BeTrue();
        swad.Count.Should().Be(12, "segments 2…7, two snapshots each");
        using var averaged = nn.Linear(1, 1);
        swad.TryCopyTo(averaged).Should().BeTrue();
        averaged.weight!.item<float>().Should().BeApproximately(9.5f, 1e-6f, "mean of snapshots 4…15");
        averaged.bias!.item<float>().Should().BeApproximately(-9.5f, 1e-6f);
    }

    [Fact]
    public void Training_that_stops_inside_the_valley_averages_up_to_the_last_loss_below_the_threshold()
    {
        using var model = nn.Linear(1, 1);
        using var swad = new SwadAverager();
        RunSegments(swad, model, 0, 10);   // evaluations 8 and 9 exceed the threshold; the window is still open

        swad.IsFinished.Should().BeFalse();
        swad.Count.Should().Be(12, "segments 2…7; 8 and 9 lie above the threshold");
    }

    [Fact]
    public void Snapshots_after_the_window_ends_are_ignored()
    {
        using var model = nn.Linear(1, 1);
        using var swad = new SwadAverager();
        RunSegments(swad, model, 0, Losses.Length);
        SetWeight(model, 1000);
        swad.AddSnapshot(model);
        swad.Evaluate(0.1).Should().Be(SwadPhase.Finished);

        swad.Count.Should().Be(12);
    }

    [Fact]
    public void A_checkpointed_averager_continues_like_the_original()
    {
        using var model = nn.Linear(1, 1);
        using var original = new SwadAverager();
        RunSegments(original, model, 0, 9);
        SetWeight(model, 77);
        original.AddSnapshot(model);   // an open segment is saved too

        using var restored = new SwadAverager();
        restored.LoadStateDict(original.StateDict());

        restored.Window.Start.Should().Be(original.Window.Start);
        restored.Count.Should().Be(original.Count);
        foreach (var swad in new[] { original, restored })
        {
            swad.Evaluate(Losses[9]);
            RunSegments(swad, model, 10, Losses.Length);
        }
        using var a = nn.Linear(1, 1);
        using var b = nn.Linear(1, 1);
        original.CopyTo(a);
        restored.CopyTo(b);
        b.weight!.item<float>().Should().Be(a.weight!.item<float>());
        restored.Count.Should().Be(12);
    }
}
