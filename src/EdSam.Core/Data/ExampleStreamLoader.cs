using static TorchSharp.torch;

namespace EdSam.Data;

/// <summary>Batches of a stream of examples; made by <see cref="ExampleLoader.Stream"/>. Each enumeration reads
/// the stream once (one epoch); with <see cref="ExampleLoaderOptions.Shuffle"/>, epoch <c>e</c> shuffles with a
/// seed made of (<see cref="ExampleLoaderOptions.Seed"/>, e).</summary>
/// <remarks>With <see cref="ExampleLoaderOptions.DisposeBatches"/> (the default) a batch is disposed when the
/// next one is requested, as TorchSharp's DataLoader does; otherwise the caller disposes each batch.</remarks>
public sealed class ExampleStreamLoader : IEnumerable<ExampleBatch>
{
    private readonly IEnumerable<Example> examples;
    private readonly ExampleLoaderOptions options;
    private readonly BadInputGuard guard;
    private int epoch;

    internal ExampleStreamLoader(IEnumerable<Example> examples, ExampleLoaderOptions options)
    {
        this.examples = examples;
        this.options = options;
        guard = new BadInputGuard(options.BadInputPolicy, options.Logger);
    }

    /// <summary>Images skipped (under <see cref="BadInputPolicy.Skip"/>) so far; the stream's own reader counts
    /// what it skipped (bad shards, bad rows) separately.</summary>
    public long SkippedCount => guard.SkippedCount;

    /// <summary>Reads the stream once, yielding batches (the last may be smaller unless
    /// <see cref="ExampleLoaderOptions.DropLast"/>).</summary>
    public IEnumerator<ExampleBatch> GetEnumerator()
    {
        int currentEpoch = epoch++;
        var order = options.Shuffle
            ? ShuffleBuffer(examples, options.ShuffleBufferSize, new Random(StableHash.Combine(options.Seed, currentEpoch, -2)))
            : examples;
        long position = 0;
        var pending = new List<Example>(options.BatchSize);
        foreach (var example in order)
        {
            pending.Add(example);
            if (pending.Count < options.BatchSize) continue;
            var batch = LoadedExample.LoadBatch(pending, i => StableHash.Combine(options.Seed, currentEpoch, position + i), options, guard);
            position += pending.Count;
            pending.Clear();
            if (batch is null) continue;
            try { yield return batch; }
            finally { if (options.DisposeBatches) batch.Dispose(); }
        }
        if (pending.Count > 0 && !options.DropLast
            && LoadedExample.LoadBatch(pending, i => StableHash.Combine(options.Seed, currentEpoch, position + i), options, guard) is { } last)
        {
            try { yield return last; }
            finally { if (options.DisposeBatches) last.Dispose(); }
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Fills a buffer of <paramref name="size"/> examples, then repeatedly emits a random one and refills
    /// its slot from the stream; drains the buffer in random order at the end.</summary>
    private static IEnumerable<Example> ShuffleBuffer(IEnumerable<Example> source, int size, Random random)
    {
        var buffer = new List<Example>(Math.Min(size, 4096));
        foreach (var example in source)
        {
            if (buffer.Count < size)
            {
                buffer.Add(example);
                continue;
            }
            int slot = random.Next(buffer.Count);
            yield return buffer[slot];
            buffer[slot] = example;
        }
        while (buffer.Count > 0)
        {
            int slot = random.Next(buffer.Count);
            yield return buffer[slot];
            buffer[slot] = buffer[^1];
            buffer.RemoveAt(buffer.Count - 1);
        }
    }
}
