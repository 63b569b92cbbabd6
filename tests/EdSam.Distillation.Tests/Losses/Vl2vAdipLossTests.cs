using EdSam.Distillation.Losses;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Losses;

public sealed class Vl2vAdipLossTests
{
    [Fact]
    public void Orthogonal_image_target_and_matching_text_target_give_minus_one_minus_lambda()
    {
        using var scope = NewDisposeScope();
        var z = tensor(new float[] { 2, 0 }).reshape(1, 2);          // unnormalised on purpose
        var image = tensor(new float[] { 0, 3 }).reshape(1, 2);      // cos = 0
        var text = tensor(new float[] { 5, 0 }).reshape(1, 2);       // cos = 1
        // L = λ·(−0) + (1−λ)·(−1)
        Vl2vAdipLoss.Compute(z, image, text, 0.25).item<float>().Should().BeApproximately(-0.75f, 1e-6f);
        Vl2vAdipLoss.Compute(z, image, text, 0.5).item<float>().Should().BeApproximately(-0.5f, 1e-6f);
    }

    [Fact]
    public void Equals_the_formula_on_random_embeddings()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var z = randn(5, 4);
        var image = randn(5, 4);
        var text = randn(5, 4);
        double lambda = 0.3;

        float[] zs = z.data<float>().ToArray(), ims = image.data<float>().ToArray(), ts = text.data<float>().ToArray();
        static double Cos(float[] a, float[] b, int row)
        {
            double dot = 0, na = 0, nb = 0;
            for (int k = 0; k < 4; k++)
            {
                dot += a[row * 4 + k] * b[row * 4 + k];
                na += a[row * 4 + k] * a[row * 4 + k];
                nb += b[row * 4 + k] * b[row * 4 + k];
            }
            return dot / Math.Sqrt(na * nb);
        }
        double imageTerm = Enumerable.Range(0, 5).Average(r => Cos(zs, ims, r));
        double textTerm = Enumerable.Range(0, 5).Average(r => Cos(zs, ts, r));
        double expected = lambda * -imageTerm + (1 - lambda) * -textTerm;

        Vl2vAdipLoss.Compute(z, image, text, lambda).item<float>().Should().BeApproximately((float)expected, 1e-5f);
    }

    [Fact]
    public void Gradient_flows_to_the_student_only()
    {
        using var scope = NewDisposeScope();
        var z = randn(3, 4).requires_grad_();
        var image = randn(3, 4);
        var text = randn(3, 4);
        Vl2vAdipLoss.Compute(z, image, text, 0.5).backward();
        z.grad.Should().NotBeNull();
        image.grad.Should().BeNull();
    }

    [Fact]
    public void Mismatched_shapes_and_bad_lambda_are_refused()
    {
        using var scope = NewDisposeScope();
        var act = () => Vl2vAdipLoss.Compute(randn(3, 4), randn(3, 5), randn(3, 4), 0.5);
        act.Should().Throw<ArgumentException>().WithMessage("*[3, 4], [3, 5], [3, 4]*");
        var lambda = () => Vl2vAdipLoss.Compute(randn(3, 4), randn(3, 4), randn(3, 4), 1.5);
        lambda.Should().Throw<ArgumentException>().WithMessage("*[0, 1]*1.5*");
    }
}
