using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Clip;

/// <summary>
/// The matrix products and normalisations of the CLIP towers, with one precision rule in one place: bf16 tensors
/// on a CPU without native bf16 arithmetic (x86 without AVX-512-BF16/AMX) are computed in fp32 and rounded back
/// to bf16. libtorch's fallback bf16 GEMM and convolution on such CPUs are 5–30× slower than fp32, so "bf16
/// storage, fp32 compute" is both faster and at least as accurate. Everywhere else the op runs as given.
/// </summary>
/// <remarks>
/// These are fused functional calls on the child module's own parameters (rather than <c>child.call(x)</c>) so the
/// rule applies without casting the stored weights. Override the detection with the environment variable
/// <c>EDSAM_BF16_COMPUTE</c> = <c>native</c> or <c>fp32</c>.
/// </remarks>
internal static class ClipOps
{
    private static readonly Lazy<bool> NativeBf16 = new(DetectNativeBf16);

    /// <summary>True when bf16 tensors on the CPU are computed in bf16 (the CPU has native bf16 arithmetic).</summary>
    public static bool HasNativeBf16 => NativeBf16Override ?? NativeBf16.Value;

    /// <summary>Tests set this to exercise both paths on one machine; null uses the detection.</summary>
    internal static bool? NativeBf16Override { get; set; }

    /// <summary><c>x @ weightᵀ + bias</c>.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        if (!NeedsFp32(x)) return nn.functional.linear(x, weight, bias);
        using var scope = NewDisposeScope();
        var y = nn.functional.linear(x.to(ScalarType.Float32), weight.to(ScalarType.Float32), bias?.to(ScalarType.Float32));
        return scope.MoveToOuter(y.to(ScalarType.BFloat16));
    }

    /// <summary>A bias-free 2-d convolution with square stride and padding.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, long stride = 1, long padding = 0)
    {
        if (!NeedsFp32(x)) return nn.functional.conv2d(x, weight, strides: [stride, stride], padding: [padding, padding]);
        using var scope = NewDisposeScope();
        var y = nn.functional.conv2d(x.to(ScalarType.Float32), weight.to(ScalarType.Float32), strides: [stride, stride], padding: [padding, padding]);
        return scope.MoveToOuter(y.to(ScalarType.BFloat16));
    }

    /// <summary><c>a @ b</c>.</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (!NeedsFp32(a)) return a.matmul(b);
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(a.to(ScalarType.Float32).matmul(b.to(ScalarType.Float32)).to(ScalarType.BFloat16));
    }

    /// <summary>LayerNorm over the last dimension with the module's affine parameters.</summary>
    public static Tensor LayerNorm(Tensor x, TorchSharp.Modules.LayerNorm norm)
    {
        var weight = norm.weight!;
        var bias = norm.bias;
        long[] shape = [x.shape[^1]];
        if (!NeedsFp32(x)) return nn.functional.layer_norm(x, shape, weight, bias, norm.eps);
        using var scope = NewDisposeScope();
        var y = nn.functional.layer_norm(x.to(ScalarType.Float32), shape, weight.to(ScalarType.Float32), bias?.to(ScalarType.Float32), norm.eps);
        return scope.MoveToOuter(y.to(ScalarType.BFloat16));
    }

    private static bool NeedsFp32(Tensor x) =>
        x.dtype == ScalarType.BFloat16 && x.device_type == DeviceType.CPU && !HasNativeBf16;

    private static bool DetectNativeBf16()
    {
        switch (Environment.GetEnvironmentVariable("EDSAM_BF16_COMPUTE")?.Trim().ToLowerInvariant())
        {
            case "native": return true;
            case "fp32": return false;
        }
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo")) return true; // no cheap probe: trust libtorch
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("flags", StringComparison.Ordinal))        // x86
                    return line.Contains(" avx512_bf16", StringComparison.Ordinal) || line.Contains(" amx_bf16", StringComparison.Ordinal);
                if (line.StartsWith("Features", StringComparison.Ordinal))     // arm64
                    return line.Contains(" bf16", StringComparison.Ordinal);
            }
        }
        catch (IOException)
        {
        }
        return RuntimeInformation.ProcessArchitecture != Architecture.X64;
    }
}
