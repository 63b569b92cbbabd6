using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.TestSupport;

internal static class SingleThreadedTorch
{
    /// <summary>
    /// xunit already runs test classes in parallel, one per core; letting each op spawn its own OpenMP team on top
    /// oversubscribes the cores and spin-waiting teams slowed tiny forward passes ~20× on a loaded machine.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => set_num_threads(1);
}
