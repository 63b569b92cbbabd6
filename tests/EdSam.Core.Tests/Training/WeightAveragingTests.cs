using EdSam.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Tests.Training;

public sealed class WeightAveragingTests
{
    /// <summary>A Linear(2, 1) plus BatchNorm whose every state entry is set to <paramref name="value"/> (+ offsets).</summary>
    private static Sequential Model() => nn.Sequential(("fc", nn.Linear(2, 1)), ("bn", nn.BatchNorm1d(1)));

    private static void Fill(nn.Module model, double value)
    {
        using var noGrad = torch.no_grad();
        int i = 0;
        foreach (var (_, tensor) in model.state_dict())
        {
            if (tensor.is_floating_point()) tensor.fill_(value + i);
            else tensor.fill_((long)value);
            i++;
        }
    }

    private static Dictionary<string, double[]> Values(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float64).data<double>().ToArray());

    [Fact]
    public void Ema_follows_the_closed_form()
    {
        using var model = Model();
        Fill(model, 1);
        const double d = 0.9;
        using var ema = new ExponentialMovingAverage(model, d);
        Fill(model, 5);
        ema.Update(model);
        Fill(model, -3);
        ema.Update(model);

        using var averaged = Model();
        ema.CopyTo(averaged);

        ema.UpdateCount.Should().Be(2);
        var values = Values(averaged);
        var keys = model.state_dict().Keys.ToList();
        for (int i = 0; i < keys.Count; i++)
        {
            if (keys[i] == "bn.num_batches_tracked")
            {
                values[keys[i]].Should().Equal([-3.0], "integer buffers are copied, not averaged");
                continue;
            }
            // shadow₂ = d²·w₀ + d(1−d)·w₁ + (1−d)·w₂ with wₖ = valueₖ + i
            double expected = d * d * (1 + i) + d * (1 - d) * (5 + i) + (1 - d) * (-3 + i);
            values[keys[i]].Should().AllSatisfy(v => v.Should().BeApproximately(expected, 1e-6), keys[i]);
        }
    }

    [Fact]
    public void Ema_state_round_trips_and_rejects_other_shapes()
    {
        using var model = Model();
        Fill(model, 2);
        using var ema = new ExponentialMovingAverage(model, 0.5);
        Fill(model, 4);
        ema.Update(model);

        using var other = Model();
        using var restored = new ExponentialMovingAverage(other, 0.5);
        restored.LoadStateDict(ema.StateDict());
        using var a = Model();
        using var b = Model();
        ema.CopyTo(a);
        restored.CopyTo(b);

        Values(b).Should().BeEquivalentTo(Values(a));
        restored.UpdateCount.Should().Be(1);
        using var wider = nn.Sequential(("fc", nn.Linear(3, 1)), ("bn", nn.BatchNorm1d(1)));
        FluentActions.Invoking(() => ema.Update(wider)).Should().Throw<ArgumentException>().WithMessage("*'fc.weight'*[1, 3]*[1, 2]*");
        FluentActions.Invoking(() => new ExponentialMovingAverage(model, 1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Average_is_the_mean_of_the_collected_snapshots()
    {
        using var model = Model();
        using var averager = new WeightAverager();
        foreach (double v in new[] { 1.0, 2.0, 6.0 })
        {
            Fill(model, v);
            averager.Add(model);
        }

        using var averaged = Model();
        averager.CopyTo(averaged);

        averager.Count.Should().Be(3);
        var keys = model.state_dict().Keys.ToList();
        var values = Values(averaged);
        for (int i = 0; i < keys.Count; i++)
        {
            double expected = keys[i] == "bn.num_batches_tracked" ? 6 : 3 + i;   // mean(1, 2, 6) = 3
            values[keys[i]].Should().AllSatisfy(v => v.Should().BeApproximately(expected, 1e-6), keys[i]);
        }
    }

    [Fact]
    public void Average_of_random_snapshots_matches_an_independent_mean()
    {
        using var model = nn.Linear(8, 4);
        using var averager = new WeightAverager();
        var sums = new double[32];
        var generator = new Random(3);
        const int snapshots = 7;
        for (int s = 0; s < snapshots; s++)
        {
            float[] values = Enumerable.Range(0, 32).Select(_ => (float)generator.NextDouble()).ToArray();
            using (torch.no_grad()) model.weight!.copy_(torch.tensor(values).reshape(4, 8));
            for (int i = 0; i < 32; i++) sums[i] += values[i];
            averager.Add(model);
        }

        using var averaged = nn.Linear(8, 4);
        averager.CopyTo(averaged);

        float[] result = averaged.weight!.data<float>().ToArray();
        for (int i = 0; i < 32; i++) result[i].Should().BeApproximately((float)(sums[i] / snapshots), 1e-7f);
    }

    [Fact]
    public void Reset_forgets_and_an_empty_average_cannot_be_copied()
    {
        using var model = Model();
        using var averager = new WeightAverager();
        averager.Add(model);
        averager.Reset();

        averager.Count.Should().Be(0);
        FluentActions.Invoking(() => averager.CopyTo(model)).Should().Throw<InvalidOperationException>().WithMessage("*Add(module) first*");
    }

    [Fact]
    public void Averaging_does_not_alias_a_float64_module()
    {
        using var model = nn.Linear(2, 1).to(ScalarType.Float64);
        Fill(model, 1);
        using var averager = new WeightAverager();
        averager.Add(model);
        averager.Add(model);
        Values(model)["weight"].Should().Equal(1.0, 1.0);
    }
}
