using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Bench;

/// <summary>This CPU's libtorch matmul rate: the yardstick the model throughput is judged against.</summary>
internal static class MatmulBenchmark
{
    public const int Size = 2048;

    /// <summary>GFLOP/s of a Size³ matmul (2 FLOPs per multiply-add) in the given dtype.</summary>
    public static double GflopsPerSecond(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var a = randn(Size, Size).to(dtype);
        var b = randn(Size, Size).to(dtype);
        double seconds = Timing.MedianSeconds(() =>
        {
            using var inner = NewDisposeScope();
            _ = matmul(a, b);
        });
        return 2.0 * Size * Size * Size / seconds / 1e9;
    }

    public static void Run()
    {
        Console.WriteLine($"matmul {Size}³ fp32: {GflopsPerSecond(ScalarType.Float32),7:F1} GFLOP/s");
        Console.WriteLine($"matmul {Size}³ bf16: {GflopsPerSecond(ScalarType.BFloat16),7:F1} GFLOP/s");
    }
}
