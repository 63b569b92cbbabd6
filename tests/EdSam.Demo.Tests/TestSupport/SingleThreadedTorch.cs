using System.Runtime.CompilerServices;

namespace EdSam.Demo.Tests.TestSupport;

internal static class SingleThreadedTorch
{
    /// <summary>
    /// One intra-op thread for the whole test assembly: on a shared 2-core machine libtorch's OpenMP threads spin
    /// against each other and tiny models run many times slower. (The smoke runs set one thread themselves too.)
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => TorchSharp.torch.set_num_threads(1);
}
