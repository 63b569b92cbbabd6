using EdSam.Distillation.Students;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Students;

public class InitializersTests
{
    [Fact]
    public void Samples_stay_in_bounds_and_match_the_truncated_moments()
    {
        using var generator = new Generator(0);
        using var samples = empty(200_000, ScalarType.Float64);
        // Standard normal truncated to [-1, 2]: closed-form mean (φ(α) − φ(β)) / Z and variance 1 + (αφ(α) − βφ(β)) / Z − mean².
        Initializers.TruncatedNormal(samples, mean: 0, std: 1, a: -1, b: 2, generator);
        static double Pdf(double x) => Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);
        const double z = 0.8185946141203637; // Φ(2) − Φ(−1)
        double mean = (Pdf(-1) - Pdf(2)) / z;
        double variance = 1 + (-1 * Pdf(-1) - 2 * Pdf(2)) / z - mean * mean;

        samples.min().item<double>().Should().BeGreaterThanOrEqualTo(-1);
        samples.max().item<double>().Should().BeLessThanOrEqualTo(2);
        samples.mean().item<double>().Should().BeApproximately(mean, 0.01);
        samples.var().item<double>().Should().BeApproximately(variance, 0.01);
    }

    [Fact]
    public void Kaiming_fan_out_and_pytorch_default_have_the_documented_spread()
    {
        using var generator = new Generator(1);
        using var conv = empty(256, 32, 3, 3);
        Initializers.KaimingNormalFanOut(conv, generator);
        conv.std().item<float>().Should().BeApproximately((float)Math.Sqrt(2.0 / (256 * 9)), 0.002f);

        using var weight = empty(64, 400);
        using var bias = empty(64);
        Initializers.PyTorchDefault(weight, bias, generator);
        // U(±1/√400): bound 0.05, std 0.05/√3.
        weight.abs().max().item<float>().Should().BeLessThanOrEqualTo(0.05f);
        bias.abs().max().item<float>().Should().BeLessThanOrEqualTo(0.05f);
        weight.std().item<float>().Should().BeApproximately((float)(0.05 / Math.Sqrt(3)), 0.001f);
    }
}
