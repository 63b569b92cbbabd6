using static TorchSharp.torch;

namespace EdSam.Distillation.Students;

/// <summary>
/// The initialisations torchvision and timm use, each drawing from an explicit generator (null = torch's global
/// one) so a seeded student is the same whatever other threads draw meanwhile.
/// </summary>
/// <remarks>
/// Written out because TorchSharp 0.107's <c>nn.init.kaiming_*</c> take no generator, and its
/// <c>nn.init.trunc_normal_</c> fills zeros (checked: std 0 on a 1000×100 tensor).
/// </remarks>
internal static class Initializers
{
    /// <summary>torchvision's convolution init: Kaiming normal, fan-out mode, ReLU gain: N(0, 2 / fan_out).</summary>
    public static void KaimingNormalFanOut(Tensor weight, Generator? generator)
    {
        long fanOut = weight.shape[0] * ReceptiveField(weight);
        using var _ = no_grad();
        weight.normal_(0, Math.Sqrt(2.0 / fanOut), generator);
    }

    /// <summary>
    /// PyTorch's default Linear/Conv init (<c>kaiming_uniform_(a=√5)</c> for the weight, then the bias): both
    /// U(−1/√fan_in, 1/√fan_in).
    /// </summary>
    public static void PyTorchDefault(Tensor weight, Tensor? bias, Generator? generator)
    {
        long fanIn = weight.shape[1] * ReceptiveField(weight);
        double bound = 1 / Math.Sqrt(fanIn);
        using var _ = no_grad();
        weight.uniform_(-bound, bound, generator);
        bias?.uniform_(-bound, bound, generator);
    }

    /// <summary>
    /// N(mean, std²) truncated to [a, b] by inverse-CDF sampling (uniform on [Φ(α), Φ(β)], then the inverse normal
    /// CDF via erfinv), the method of PyTorch's and timm's <c>trunc_normal_</c>.
    /// </summary>
    public static void TruncatedNormal(Tensor target, double mean, double std, double a, double b, Generator? generator)
    {
        using var _ = no_grad();
        double lower = NormalCdf((a - mean) / std), upper = NormalCdf((b - mean) / std);
        target.uniform_(2 * lower - 1, 2 * upper - 1, generator).erfinv_().mul_(std * Math.Sqrt(2)).add_(mean).clamp_(a, b);
    }

    /// <summary>N(mean, std²).</summary>
    public static void Normal(Tensor target, double mean, double std, Generator? generator)
    {
        using var _ = no_grad();
        target.normal_(mean, std, generator);
    }

    // Elements of one kernel (1 for Linear): shape[2..] multiplied, read from the shape so no tensor views are made.
    private static long ReceptiveField(Tensor weight) => weight.shape.Skip(2).Aggregate(1L, (a, b) => a * b);

    private static double NormalCdf(double x)
    {
        using var value = tensor(x / Math.Sqrt(2), ScalarType.Float64);
        using var erf = value.erf();
        return (1 + erf.item<double>()) / 2;
    }
}
