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
    /// <see cref="ExampleLoaderOptions.DropLast"/>). The next batch is decoded in the background while the caller
    /// works on the current one; order and pixels are the same as without (seeds go by position).</summary>
    public IEnumerator<ExampleBatch> GetEnumerator()
    {
        int currentEpoch = epoch++;
        var order = options.Shuffle
            ? ShuffleBuffer(examples, options.ShuffleBufferSize, new Random(StableHash.Combine(options.Seed, currentEpoch, -2)))
            : examples;
        Task<ExampleBatch?>? inflight = null;
        try
        {
            foreach (var chunk in Chunks(order))
            {
                var next = Decode(chunk, currentEpoch);
                var ready = inflight;
                inflight = next;
                if (ready?.GetAwaiter().GetResult() is not { } batch) continue;
                try { yield return batch; }
                finally { if (options.DisposeBatches) batch.Dispose(); }
            }
            var lastTask = inflight;
            inflight = null;
            if (lastTask?.GetAwaiter().GetResult() is { } last)
            {
                try { yield return last; }
                finally { if (options.DisposeBatches) last.Dispose(); }
            }
        }
        finally
        {
            // Stopped early (break, exception): wait for the batch in flight and release it.
            if (inflight is not null)
            {
                try { inflight.GetAwaiter().GetResult()?.Dispose(); }
                catch (Exception e) when (e is not OutOfMemoryException) { /* its error belongs to a batch nobody asked for */ }
            }
        }
    }

    /// <summary>Consecutive runs of <see cref="ExampleLoaderOptions.BatchSize"/> examples with the epoch position
    /// of their first example; the short tail only without <see cref="ExampleLoaderOptions.DropLast"/>.</summary>
    private IEnumerable<(Example[] Examples, long Position)> Chunks(IEnumerable<Example> order)
    {
        long position = 0;
        var pending = new List<Example>(options.BatchSize);
        foreach (var example in order)
        {
            pending.Add(example);
            if (pending.Count < options.BatchSize) continue;
            yield return (pending.ToArray(), position);
            position += pending.Count;
            pending.Clear();
        }
        if (pending.Count > 0 && !options.DropLast) yield return (pending.ToArray(), position);
    }

    private Task<ExampleBatch?> Decode((Example[] Examples, long Position) chunk, int currentEpoch) =>
        Task.Run(() => LoadedExample.LoadBatch(chunk.Examples, i => StableHash.Combine(options.Seed, currentEpoch, chunk.Position + i), options, guard));

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
