using EdSam.Distillation.Students;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Students;

public class TruncatedNormalTests
{
    [Fact]
    public void Samples_stay_in_bounds_and_match_the_truncated_moments()
    {
        random.manual_seed(0);
        using var samples = empty(200_000, ScalarType.Float64);
        // Standard normal truncated to [-1, 2]: closed-form mean (φ(α) − φ(β)) / Z and variance 1 + (αφ(α) − βφ(β)) / Z − mean².
        TruncatedNormal.Fill(samples, mean: 0, std: 1, a: -1, b: 2);
        static double Pdf(double x) => Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);
        const double z = 0.8185946141203637; // Φ(2) − Φ(−1)
        double mean = (Pdf(-1) - Pdf(2)) / z;
        double variance = 1 + (-1 * Pdf(-1) - 2 * Pdf(2)) / z - mean * mean;

        samples.min().item<double>().Should().BeGreaterThanOrEqualTo(-1);
        samples.max().item<double>().Should().BeLessThanOrEqualTo(2);
        samples.mean().item<double>().Should().BeApproximately(mean, 0.01);
        samples.var().item<double>().Should().BeApproximately(variance, 0.01);
    }
}
