using EdSam.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests.Training;

public sealed class TrainingGuardsTests
{
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void A_non_finite_loss_throws_with_step_value_and_last_checkpoint(double value)
    {
        using var loss = torch.tensor((float)value);

        var act = () => TrainingGuards.EnsureFiniteLoss(loss, 17, "/runs/a/step-000010");

        var e = act.Should().Throw<NonFiniteLossException>().Which;
        e.Step.Should().Be(17);
        e.Loss.Should().Be(value);
        e.LastGoodCheckpoint.Should().Be("/runs/a/step-000010");
        e.Message.Should().Contain("step 17").And.Contain("/runs/a/step-000010").And.Contain("not applied");
    }

    [Fact]
    public void Without_a_checkpoint_the_message_says_so()
    {
        using var loss = torch.tensor(float.NaN);
        FluentActions.Invoking(() => TrainingGuards.EnsureFiniteLoss(loss, 0, null))
            .Should().Throw<NonFiniteLossException>().WithMessage("*No checkpoint was written yet*");
    }

    [Fact]
    public void A_finite_loss_is_returned_as_double()
    {
        using var loss = torch.tensor(1.5f);
        TrainingGuards.EnsureFiniteLoss(loss, 0, null).Should().Be(1.5);
        using var vector = torch.ones(2);
        FluentActions.Invoking(() => TrainingGuards.EnsureFiniteLoss(vector, 0, null)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void A_guarded_step_with_a_nan_loss_leaves_the_weights_untouched()
    {
        using var model = nn.Linear(2, 1);
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        float[] before = model.weight!.data<float>().ToArray();

        using var scope = torch.NewDisposeScope();
        var loss = model.call(torch.tensor(new[] { float.NaN, 1f }).reshape(1, 2)).sum();
        var act = () =>
        {
            TrainingGuards.EnsureFiniteLoss(loss, 3, null);
            loss.backward();
            optimizer.step();
        };

        act.Should().Throw<NonFiniteLossException>();
        model.weight!.data<float>().ToArray().Should().Equal(before);
    }

    [Fact]
    public void Clipping_scales_all_gradients_to_the_total_norm()
    {
        using var a = nn.Parameter(torch.zeros(2));
        using var b = nn.Parameter(torch.zeros(1));
        using var unused = nn.Parameter(torch.zeros(3));
        (a * torch.tensor(new[] { 3f, 4f }) + 0).sum().backward();
        (b * 12).sum().backward();

        double norm = TrainingGuards.ClipGradientNorm([a, b, unused], maxNorm: 6.5);

        norm.Should().BeApproximately(13, 1e-6, "√(3² + 4² + 12²) = 13");
        double scale = 6.5 / (13 + 1e-6);
        a.grad!.data<float>().ToArray().Should().Equal([(float)(3 * scale), (float)(4 * scale)], (x, y) => Math.Abs(x - y) < 1e-6);
        b.grad!.data<float>().ToArray()[0].Should().BeApproximately((float)(12 * scale), 1e-6f);
    }

    [Fact]
    public void Gradients_below_the_limit_are_not_changed()
    {
        using var a = nn.Parameter(torch.zeros(2));
        (a * torch.tensor(new[] { 0.3f, 0.4f })).sum().backward();

        TrainingGuards.ClipGradientNorm([a], 1).Should().BeApproximately(0.5, 1e-7);

        a.grad!.data<float>().ToArray().Should().Equal(0.3f, 0.4f);
        FluentActions.Invoking(() => TrainingGuards.ClipGradientNorm([a], 0)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
