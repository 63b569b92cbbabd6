using System.Runtime.CompilerServices;

namespace EdSam.Diffusion.Tests.TestSupport;

internal static class SingleThreadedTorch
{
    /// <summary>
    /// One intra-op thread for the whole test assembly: on a shared 2-core machine libtorch's OpenMP threads spin
    /// against each other and a tiny UNet step takes seconds instead of milliseconds (measured: 10 s vs 0.2 s).
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => TorchSharp.torch.set_num_threads(1);
}
