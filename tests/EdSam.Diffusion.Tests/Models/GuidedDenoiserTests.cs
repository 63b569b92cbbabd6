using EdSam.Diffusion.Models;
using EdSam.Diffusion.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Models;

public class GuidedDenoiserTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(4.5)]
    public void Guided_output_is_unconditional_plus_scale_times_the_conditional_difference(double scale)
    {
        using var model = new UNet2D(TinyConfigs.UNet(classes: 3, textDim: 4));
        model.eval();
        using var x = randn(2, 3, 16, 16, generator: new Generator(5));
        using var t = tensor(new long[] { 20, 700 });
        using var labels = tensor(new long[] { 2, 0 });
        using var text = randn(2, 4, generator: new Generator(6));
        using var nullLabels = full(2, -1L, dtype: ScalarType.Int64);
        using var nullText = zeros(2, 4);
        var condition = new DiffusionCondition(labels, text);

        using var conditional = model.Predict(x, t, condition);
        using var unconditional = model.Predict(x, t, new DiffusionCondition(nullLabels, nullText));
        using var expected = unconditional + scale * (conditional - unconditional);
        using var guided = new GuidedDenoiser(model, scale).Predict(x, t, condition);

        guided.allclose(expected, rtol: 1e-4, atol: 1e-5).Should().BeTrue();
    }

    [Fact]
    public void Guidance_calls_the_inner_model_once_with_the_doubled_batch()
    {
        var inner = new CountingDenoiser();
        using var x = zeros(3, 1, 2, 2);
        using var t = zeros(3, dtype: ScalarType.Int64);
        using var labels = ones(3, dtype: ScalarType.Int64);
        using var _ = new GuidedDenoiser(inner, 2).Predict(x, t, new DiffusionCondition(labels));
        inner.BatchSizes.Should().Equal(6);
    }

    [Fact]
    public void Negative_scales_are_rejected()
    {
        FluentActions.Invoking(() => new GuidedDenoiser(new CountingDenoiser(), -1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    private sealed class CountingDenoiser : IDenoiser
    {
        public List<long> BatchSizes { get; } = new();
        public EdSam.Diffusion.Schedulers.SchedulerConfig Scheduler { get; } = new();
        public IReadOnlyList<long> SampleShape { get; } = [1, 2, 2];

        public Tensor Predict(Tensor noisySample, Tensor timesteps, DiffusionCondition? condition = null)
        {
            BatchSizes.Add(noisySample.shape[0]);
            return noisySample.clone();
        }
    }
}
