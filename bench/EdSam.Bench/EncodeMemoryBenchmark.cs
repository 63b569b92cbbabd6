using System.Diagnostics;
using EdSam.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Bench;

/// <summary>Process RSS across 200 repeated encode calls (target: growth &lt; 2 % after warm-up).</summary>
internal static class EncodeMemoryBenchmark
{
    public static void Run(string modelName = "ViT-B-32", int calls = 200)
    {
        var config = ClipConfig.Named(modelName);
        using var model = new ClipModel(config);
        model.eval();
        using var images = randn(2, 3, config.Vision.ImageSize, config.Vision.ImageSize);
        using var tokens = randint(1, config.Text.VocabSize - 1, new long[] { 2, config.Text.ContextLength });

        void EncodeOnce()
        {
            using var scope = NewDisposeScope();
            using var noGrad = inference_mode();
            model.EncodeImage(images);
            model.EncodeText(tokens);
        }

        for (int i = 0; i < 10; i++) EncodeOnce(); // allocator pools and lazy initialisation settle first
        long before = ResidentBytes();
        for (int i = 0; i < calls; i++) EncodeOnce();
        long after = ResidentBytes();
        double growth = (after - before) / (double)before;
        Console.WriteLine($"{modelName}: RSS {before / 1048576.0:F0} MiB → {after / 1048576.0:F0} MiB after {calls} image+text encode calls: {growth:P2} (target < 2 %)");
    }

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
