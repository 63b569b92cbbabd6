using EdSam.Clip;
using EdSam.Data;
using EdSam.Data.Augmentation;
using EdSam.Data.DomainBed;
using EdSam.Training;
using StbImageWriteSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Bench;

/// <summary>
/// Decode + augment throughput (224 px, 2 workers) on a DomainBed folder of generated JPEGs, beside the images/s of
/// one ViT-B/32 CLIP training step (forward + backward + AdamW at batch 8): loading must be ≥ 2× faster.
/// </summary>
internal static class DataLoadingBenchmark
{
    public static void Run(int imagesPerClass = 24, int workers = 2)
    {
        string root = Path.Combine(Path.GetTempPath(), $"edsam-bench-data-{Environment.ProcessId}");
        try
        {
            int count = WriteJpegFolder(root, domains: 2, classes: 4, imagesPerClass);
            var folder = DomainBedFolder.Open(root);
            var examples = folder.Domains.SelectMany(folder.GetExamples).ToList();
            var options = new ExampleLoaderOptions
            {
                BatchSize = 32, Workers = workers, Shuffle = true, Seed = 1,
                Transform = Transforms.DomainGeneralizationTraining(224),
            };
            double seconds = Timing.MedianSeconds(() =>
            {
                using var loader = ExampleLoader.Create(examples, options);
                foreach (var batch in loader) _ = batch.Images.shape;
            }, warmup: 1, repeats: 3);
            double loading = count / seconds;
            Console.WriteLine($"decode + DG augmentation, 224 px, {workers} workers: {loading:F1} images/s ({count} JPEGs of 320×240)");

            // EdSamTrainer's batches: decode + CLIP preprocessing (bicubic, antialiased, 224 px) of each row, on 1 and on
            // `workers` threads (ParallelRows) — the work that would otherwise keep the training thread waiting.
            var preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.Clip(224));
            var batchExamples = examples.Take(64).ToArray();
            double RowsPerSecond(int threads) => batchExamples.Length / Timing.MedianSeconds(() =>
            {
                using var batch = ParallelRows.Stack(batchExamples.Length, i =>
                {
                    using var raw = batchExamples[i].Image.Load();
                    return preprocessor.Preprocess(raw);
                }, threads);
            }, warmup: 1, repeats: 3);
            double single = RowsPerSecond(1), parallel = RowsPerSecond(workers);
            Console.WriteLine($"EdSamTrainer batch (decode + CLIP preprocessing, 224 px): {single:F1} images/s on 1 thread, " +
                              $"{parallel:F1} on {workers} ({parallel / single:F2}×)");

            double training = ClipTrainingImagesPerSecond();
            Console.WriteLine($"ViT-B/32 CLIP training step (batch 8, fp32): {training:F2} images/s");
            Console.WriteLine($"loading / training = {loading / training:F1}× (target ≥ 2×)");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static int WriteJpegFolder(string root, int domains, int classes, int perClass)
    {
        var random = new Random(0);
        var writer = new ImageWriter();
        int written = 0;
        for (int d = 0; d < domains; d++)
        for (int c = 0; c < classes; c++)
        {
            string folder = Path.Combine(root, $"domain_{d}", $"class_{c}");
            Directory.CreateDirectory(folder);
            for (int i = 0; i < perClass; i++)
            {
                // Smooth colour gradients plus noise: compresses like a photograph, not like a flat test card.
                const int width = 320, height = 240;
                var pixels = new byte[width * height * 3];
                double phase = random.NextDouble() * 6;
                for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                for (int ch = 0; ch < 3; ch++)
                    pixels[(y * width + x) * 3 + ch] = (byte)Math.Clamp(128 + 90 * Math.Sin(phase + x * 0.03 * (ch + 1) + y * 0.02) + random.Next(-20, 21), 0, 255);
                using var file = File.Create(Path.Combine(folder, $"{i:D4}.jpg"));
                writer.WriteJpg(pixels, width, height, ColorComponents.RedGreenBlue, file, 90);
                written++;
            }
        }
        return written;
    }

    private static double ClipTrainingImagesPerSecond()
    {
        const int batch = 8;
        var config = ClipConfig.Named("ViT-B-32");
        using var model = new ClipModel(config);
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-5);
        var logitScale = model.named_parameters().First(p => p.name == "logit_scale").parameter;
        using var images = randn(batch, 3, config.Vision.ImageSize, config.Vision.ImageSize);
        using var tokens = randint(1, config.Text.VocabSize - 1, new long[] { batch, config.Text.ContextLength });
        double seconds = Timing.MedianSeconds(() =>
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = ClipContrastiveLoss.Compute(model.EncodeImage(images), model.EncodeText(tokens), logitScale);
            loss.backward();
            optimizer.step();
        }, warmup: 1, repeats: 3);
        return batch / seconds;
    }
}
