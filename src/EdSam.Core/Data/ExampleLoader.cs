namespace EdSam.Data;

/// <summary>Batches of examples through TorchSharp's own <c>DataLoader&lt;T, S&gt;</c> (map-style lists) or a
/// streaming batcher (WebDataset shards, caption tables read as streams).</summary>
public static class ExampleLoader
{
    /// <summary>A TorchSharp <c>DataLoader</c> over <paramref name="examples"/>: images decoded (in parallel with
    /// <see cref="ExampleLoaderOptions.Workers"/>) and transformed by an <see cref="ExampleDataset"/>, stacked by
    /// <see cref="ExampleBatch.Collate"/>. With <see cref="ExampleLoaderOptions.Shuffle"/> every enumeration is
    /// a new seeded epoch (a new order and new augmentations); without it, the order is the list's.</summary>
    /// <param name="examples">The examples.</param>
    /// <param name="options">Batch size, shuffle, seed, transform…; defaults when null.</param>
    /// <returns>The loader; dispose it when done. Batches are disposed as the loop advances unless
    /// <see cref="ExampleLoaderOptions.DisposeBatches"/> is false.</returns>
    public static ExampleDataLoader Create(IReadOnlyList<Example> examples, ExampleLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new ExampleLoaderOptions();
        options.Validate();
        var dataset = new ExampleDataset(examples, options.Transform, options.Seed, options.BadInputPolicy, options.Logger);
        // TorchSharp's built-in shuffler replays one seeded order every epoch; this one draws a new seeded
        // permutation per enumeration and tells the data set which epoch it is (fresh augmentations).
        IEnumerable<long> sampler = options.Shuffle ? new EpochShuffler(dataset, options.Seed) : LongRange(examples.Count);
        return new ExampleDataLoader(dataset, sampler, options);
    }

    /// <summary>Batches a stream of examples (a <see cref="WebDataset.WebDatasetReader"/>, a
    /// <see cref="Captions.CaptionTable"/>) without holding it in memory. TorchSharp's <c>DataLoader</c> cannot
    /// do this: its data sets are indexed (<c>Count</c> + <c>GetTensor(index)</c>), a stream has neither.
    /// Decoding still runs on <see cref="ExampleLoaderOptions.Workers"/> threads per batch, and
    /// <see cref="ExampleLoaderOptions.Shuffle"/> uses a seeded shuffle buffer.</summary>
    /// <param name="examples">The stream; enumerated once per enumeration of the result.</param>
    /// <param name="options">Batch size, shuffle, seed, transform…; defaults when null.</param>
    public static ExampleStreamLoader Stream(IEnumerable<Example> examples, ExampleLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new ExampleLoaderOptions();
        options.Validate();
        return new ExampleStreamLoader(examples, options);
    }

    /// <summary>Loads the steps of a per-domain sampler (DomainBed/SWAD training): each step one batch of
    /// n examples per source domain, decoded on <see cref="ExampleLoaderOptions.Workers"/> threads.</summary>
    /// <param name="sampler">Decides which examples each step takes (and how many per domain).</param>
    /// <param name="options">Seed, transform, workers, device, policy; <see cref="ExampleLoaderOptions.BatchSize"/>,
    /// <see cref="ExampleLoaderOptions.Shuffle"/> and <see cref="ExampleLoaderOptions.DropLast"/> are not used
    /// (the sampler decides). Defaults when null.</param>
    public static PerDomainBatchLoader PerDomain(PerDomainBatchSampler sampler, ExampleLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        options ??= new ExampleLoaderOptions();
        options.Validate();
        return new PerDomainBatchLoader(sampler, options);
    }

    private static IEnumerable<long> LongRange(long count)
    {
        for (long i = 0; i < count; i++) yield return i;
    }

    /// <summary>A new seeded permutation per enumeration (= epoch).</summary>
    private sealed class EpochShuffler(ExampleDataset dataset, int seed) : IEnumerable<long>
    {
        private int epoch;

        public IEnumerator<long> GetEnumerator()
        {
            int current = epoch++;
            dataset.Epoch = current;
            long[] order = new long[dataset.Count];
            for (int i = 0; i < order.Length; i++) order[i] = i;
            new Random(StableHash.Combine(seed, current, -1)).Shuffle(order);
            return ((IEnumerable<long>)order).GetEnumerator();
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
