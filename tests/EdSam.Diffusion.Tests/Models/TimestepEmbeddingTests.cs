using EdSam.Diffusion.Models;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Models;

public class TimestepEmbeddingTests
{
    [Theory]
    [InlineData(8)]
    [InlineData(32)]
    public void Sinusoidal_is_the_transformer_positional_encoding_laid_out_as_sine_then_cosine_halves(int dim)
    {
        long[] steps = { 0, 1, 17, 999 };
        using var t = tensor(steps);

        using var embedding = TimestepEmbedding.Sinusoidal(t, dim);

        embedding.shape.Should().Equal(steps.Length, dim);
        var values = embedding.data<float>().ToArray();
        int half = dim / 2;
        for (int row = 0; row < steps.Length; row++)
            for (int i = 0; i < half; i++)
            {
                // Vaswani et al.: PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)).
                double angle = steps[row] / Math.Pow(10000, 2.0 * i / dim);
                values[row * dim + i].Should().BeApproximately((float)Math.Sin(angle), 2e-4f);
                values[row * dim + half + i].Should().BeApproximately((float)Math.Cos(angle), 2e-4f);
            }
    }

    [Fact]
    public void Odd_widths_are_rejected()
    {
        using var t = tensor(new long[] { 1 });
        FluentActions.Invoking(() => TimestepEmbedding.Sinusoidal(t, 7)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*must be even*");
    }
}
