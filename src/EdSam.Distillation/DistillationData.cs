using EdSam.Data;
using EdSam.Data.Augmentation;
using static TorchSharp.torch;

namespace EdSam.Distillation;

/// <summary>Image batches for training and evaluation: decode, transform (pixels stay in [0, 1]), stack, normalise.</summary>
internal static class DistillationData
{
    /// <summary>DomainBed augmentation without the final normalisation (the teacher and the student normalise differently).</summary>
    public static IImageTransform Training(int size) =>
        new Compose(new RandomResizedCrop(size, 0.7, 1.0), new RandomHorizontalFlip(0.5), new ColorJitter(0.3, 0.3, 0.3, 0.3), new RandomGrayscale(0.1));

    /// <summary>Resize the shorter side and centre-crop, pixels in [0, 1].</summary>
    public static IImageTransform Evaluation(int size) => new Compose(new Resize(size), new CenterCrop(size));

    /// <summary>Decodes and transforms <paramref name="examples"/> into <c>[N, 3, size, size]</c> float32 in [0, 1] on <paramref name="device"/>.</summary>
    /// <remarks>Row i's augmentation draws from <c>new Random(seedOf(i))</c>: a pure function, so runs and resumes repeat exactly.</remarks>
    public static Tensor LoadImages(IReadOnlyList<Example> examples, IImageTransform transform, Func<int, int> seedOf, Device device, int workers = 1) =>
        ParallelRows.Stack(examples.Count, i =>
        {
            using var raw = examples[i].Image.Load();
            return transform.Apply(raw, new Random(seedOf(i)));
        }, workers, device);

    /// <summary>The labels of <paramref name="examples"/> as int64 <c>[N]</c>.</summary>
    /// <exception cref="ArgumentException">An example has no label.</exception>
    public static Tensor Labels(IReadOnlyList<Example> examples, Device device)
    {
        var labels = new long[examples.Count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = examples[i].Label ?? throw new ArgumentException($"Example '{examples[i].Key}' has no class label; distillation needs labelled examples.");
        return tensor(labels, device: device);
    }

    /// <summary>(x − mean) / std per channel for a batch <c>[N, 3, H, W]</c>.</summary>
    public static Tensor Normalized(Tensor images, Normalize normalize)
    {
        using var scope = NewDisposeScope();
        var mean = tensor(normalize.Mean.Select(m => (float)m).ToArray(), [1, 3, 1, 1], images.dtype, images.device);
        var std = tensor(normalize.Std.Select(s => (float)s).ToArray(), [1, 3, 1, 1], images.dtype, images.device);
        return scope.MoveToOuter(images.sub(mean).div(std));
    }

    /// <summary>A stable 31-bit seed from (seed, a, b, c) — SplitMix64 finalisation, not <see cref="HashCode"/> (which differs per process).</summary>
    public static int Seed(long seed, long a, long b, long c)
    {
        ulong x = unchecked((ulong)seed);
        foreach (long v in new[] { a, b, c })
        {
            x = unchecked((x ^ (ulong)v) + 0x9E3779B97F4A7C15UL);
            x = unchecked((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL);
            x = unchecked((x ^ (x >> 27)) * 0x94D049BB133111EBUL);
            x ^= x >> 31;
        }
        return (int)(x & 0x7FFFFFFF);
    }

    /// <summary>Runs <paramref name="body"/> on consecutive un-augmented batches (pixels in [0, 1]), each inside its own dispose scope.</summary>
    public static void ForEachBatch(IReadOnlyList<Example> examples, int size, int batchSize, Device device,
        Action<int, IReadOnlyList<Example>, Tensor> body, CancellationToken cancellationToken = default, int workers = 1)
    {
        var transform = Evaluation(size);
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var slice = examples.Skip(start).Take(batchSize).ToArray();
            var images = LoadImages(slice, transform, _ => 0, device, workers);
            body(start, slice, images);
        }
    }

    /// <summary>Top-1 accuracy of <paramref name="predict"/> (pixels in [0, 1] → int64 class indices) on labelled examples, overall and per domain.</summary>
    /// <exception cref="ArgumentException">No examples, a non-positive batch size, or an example without a label.</exception>
    public static ClassificationResult Accuracy(IReadOnlyList<Example> examples, int size, int batchSize, Device device,
        Func<Tensor, Tensor> predict, CancellationToken cancellationToken)
    {
        if (examples.Count == 0) throw new ArgumentException("Evaluation needs at least one example.", nameof(examples));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var predicted = new long[examples.Count];
        int done = 0;
        ForEachBatch(examples, size, batchSize, device, (_, slice, images) =>
        {
            predict(images).cpu().data<long>().ToArray().CopyTo(predicted, done);
            done += slice.Count;
        }, cancellationToken);
        return ClassificationResult.Score(examples, predicted);
    }
}
