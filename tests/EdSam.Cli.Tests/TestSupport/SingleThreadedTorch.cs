using System.Runtime.CompilerServices;

namespace EdSam.Cli.Tests.TestSupport;

/// <summary>xunit runs test classes in parallel; one torch thread per test avoids OpenMP oversubscription on the
/// small shared machines these tests run on (the tensors here are tiny, so intra-op threads buy nothing).</summary>
internal static class SingleThreadedTorch
{
    [ModuleInitializer]
    internal static void Initialize() => TorchSharp.torch.set_num_threads(1);
}
