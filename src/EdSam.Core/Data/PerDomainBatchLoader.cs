namespace EdSam.Data;

/// <summary>The decoded batches of a <see cref="PerDomainBatchSampler"/>: each step's examples (n per source
/// domain, domains in the sampler's order) loaded, transformed and stacked into one <see cref="ExampleBatch"/>;
/// rows <c>[d·n, (d+1)·n)</c> belong to domain <c>d</c> (and <see cref="ExampleBatch.Domains"/> says so).
/// Infinite: take as many steps as you train for. Made by <see cref="ExampleLoader.PerDomain"/>.</summary>
/// <remarks>Augmentation randomness for row <c>i</c> of step <c>s</c> is seeded by (seed, s, i): repeatable
/// whatever the thread timing. With <see cref="ExampleLoaderOptions.DisposeBatches"/> a batch is disposed
/// when the next is requested.</remarks>
public sealed class PerDomainBatchLoader : IEnumerable<ExampleBatch>
{
    private readonly PerDomainBatchSampler sampler;
    private readonly ExampleLoaderOptions options;
    private readonly BadInputGuard guard;

    internal PerDomainBatchLoader(PerDomainBatchSampler sampler, ExampleLoaderOptions options)
    {
        this.sampler = sampler;
        this.options = options;
        guard = new BadInputGuard(options.BadInputPolicy, options.Logger);
    }

    /// <summary>Images skipped (under <see cref="BadInputPolicy.Skip"/>) so far; a step with skips is smaller.</summary>
    public long SkippedCount => guard.SkippedCount;

    /// <summary>The infinite sequence of steps.</summary>
    public IEnumerator<ExampleBatch> GetEnumerator()
    {
        long step = 0;
        foreach (var perDomain in sampler)
        {
            var examples = perDomain.SelectMany(d => d).ToArray();
            long current = step++;
            var batch = LoadedExample.LoadBatch(examples, i => StableHash.Combine(options.Seed, current, i), options, guard);
            if (batch is null) continue;
            try { yield return batch; }
            finally { if (options.DisposeBatches) batch.Dispose(); }
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
