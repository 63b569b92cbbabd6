using EdSam.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests.Training;

public sealed class ClipContrastiveLossTests
{
    private static readonly double[,] Images = { { 1, 2, 0 }, { 0, 1, -1 }, { 3, 0, 1 } };
    private static readonly double[,] Texts = { { 1, 1, 0 }, { 0.5, 2, -1 }, { 2, 0, 2 } };

    /// <summary>The loss written out with plain doubles: normalise, scale, log-softmax over rows and over columns.</summary>
    private static double HandLoss(double logitScale)
    {
        int n = Images.GetLength(0), d = Images.GetLength(1);
        double[] Row(double[,] m, int i)
        {
            var row = Enumerable.Range(0, d).Select(j => m[i, j]).ToArray();
            double norm = Math.Sqrt(row.Sum(v => v * v));
            return row.Select(v => v / norm).ToArray();
        }
        double scale = Math.Exp(Math.Min(logitScale, Math.Log(100)));
        var logits = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                logits[i, j] = scale * Row(Images, i).Zip(Row(Texts, j), (a, b) => a * b).Sum();
        double imageToText = 0, textToImage = 0;
        for (int i = 0; i < n; i++)
        {
            imageToText += -logits[i, i] + Math.Log(Enumerable.Range(0, n).Sum(j => Math.Exp(logits[i, j])));
            textToImage += -logits[i, i] + Math.Log(Enumerable.Range(0, n).Sum(j => Math.Exp(logits[j, i])));
        }
        return (imageToText / n + textToImage / n) / 2;
    }

    private static Tensor ToTensor(double[,] values) =>
        torch.tensor(values.Cast<double>().ToArray(), [values.GetLength(0), values.GetLength(1)], ScalarType.Float64);

    [Theory]
    [InlineData(0.0)]
    [InlineData(2.659260036932778)]   // ln(1/0.07), CLIP's initial value
    public void Matches_a_hand_computation(double logitScale)
    {
        using var scope = torch.NewDisposeScope();
        var loss = ClipContrastiveLoss.Compute(ToTensor(Images), ToTensor(Texts), torch.tensor(logitScale, ScalarType.Float64));
        loss.shape.Should().BeEmpty();
        loss.item<double>().Should().BeApproximately(HandLoss(logitScale), 1e-12);
    }

    [Fact]
    public void The_logit_scale_is_clamped_at_ln_100()
    {
        using var scope = torch.NewDisposeScope();
        double at100 = ClipContrastiveLoss.Compute(ToTensor(Images), ToTensor(Texts), torch.tensor(Math.Log(100), ScalarType.Float64)).item<double>();
        double at1000 = ClipContrastiveLoss.Compute(ToTensor(Images), ToTensor(Texts), torch.tensor(Math.Log(1000), ScalarType.Float64)).item<double>();

        at1000.Should().Be(at100);
        at100.Should().BeApproximately(HandLoss(Math.Log(100)), 1e-10);
    }

    [Fact]
    public void Gradients_reach_the_features_and_the_logit_scale()
    {
        using var scope = torch.NewDisposeScope();
        var image = ToTensor(Images).requires_grad_();
        var text = ToTensor(Texts).requires_grad_();
        var scale = torch.tensor(1.0, ScalarType.Float64).requires_grad_();

        ClipContrastiveLoss.Compute(image, text, scale).backward();

        image.grad!.abs().sum().item<double>().Should().BeGreaterThan(0);
        text.grad!.abs().sum().item<double>().Should().BeGreaterThan(0);
        scale.grad!.item<double>().Should().NotBe(0);
    }

    [Fact]
    public void Mismatched_shapes_are_refused()
    {
        using var scope = torch.NewDisposeScope();
        FluentActions.Invoking(() => ClipContrastiveLoss.Compute(torch.ones(3, 4), torch.ones(2, 4), torch.tensor(1f)))
            .Should().Throw<ArgumentException>().WithMessage("*[3, 4]*[2, 4]*");
        FluentActions.Invoking(() => ClipContrastiveLoss.Compute(torch.ones(3, 4), torch.ones(3, 4), torch.ones(2)))
            .Should().Throw<ArgumentException>().WithMessage("*logitScale*");
    }
}
