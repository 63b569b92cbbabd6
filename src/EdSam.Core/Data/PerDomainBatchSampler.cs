namespace EdSam.Data;

/// <summary>Draws the per-domain minibatches of DomainBed/SWAD-style training: every step takes
/// <see cref="PerDomain"/> examples from each source domain. Each domain walks its own seeded permutation and
/// reshuffles when a pass is used up (an infinite sampler), so small domains repeat rather than run dry.</summary>
/// <remarks>Enumerate it with <c>foreach</c> and stop after the number of steps you train for: the sequence
/// never ends. Each new enumeration restarts from <see cref="Seed"/>, so two enumerations give the same batches.</remarks>
public sealed class PerDomainBatchSampler : IEnumerable<IReadOnlyList<IReadOnlyList<Example>>>
{
    private readonly IReadOnlyList<IReadOnlyList<Example>> domains;

    /// <summary>Creates the sampler.</summary>
    /// <param name="examplesPerDomain">The examples of each domain, one list per domain, in the order batches list them.</param>
    /// <param name="perDomain">Examples drawn from each domain per step (DomainBed's batch size, e.g. 32).</param>
    /// <param name="seed">Seed of the shuffles.</param>
    /// <exception cref="ArgumentException">No domains, an empty domain, or <paramref name="perDomain"/> &lt; 1.</exception>
    public PerDomainBatchSampler(IReadOnlyList<IReadOnlyList<Example>> examplesPerDomain, int perDomain, int seed)
    {
        ArgumentNullException.ThrowIfNull(examplesPerDomain);
        ArgumentOutOfRangeException.ThrowIfLessThan(perDomain, 1);
        if (examplesPerDomain.Count == 0) throw new ArgumentException("At least one domain is needed.", nameof(examplesPerDomain));
        for (int d = 0; d < examplesPerDomain.Count; d++)
            if (examplesPerDomain[d] is not { Count: > 0 })
                throw new ArgumentException($"Domain #{d} has no examples; a per-domain batch cannot be drawn from it.", nameof(examplesPerDomain));
        domains = examplesPerDomain;
        PerDomain = perDomain;
        Seed = seed;
    }

    /// <summary>Examples drawn from each domain per step.</summary>
    public int PerDomain { get; }

    /// <summary>Seed of the shuffles.</summary>
    public int Seed { get; }

    /// <summary>Number of domains (lists in each batch).</summary>
    public int DomainCount => domains.Count;

    /// <summary>A sampler over the training examples of a split's source domains, in <see cref="DomainSplit.SourceDomains"/> order.</summary>
    /// <param name="split">The split.</param>
    /// <param name="perDomain">Examples per domain per step.</param>
    /// <param name="seed">Seed of the shuffles.</param>
    public static PerDomainBatchSampler ForTraining(DomainSplit split, int perDomain, int seed)
    {
        ArgumentNullException.ThrowIfNull(split);
        foreach (string domain in split.SourceDomains)
            if (split.TrainByDomain[domain].Count == 0)
                throw new ArgumentException($"Source domain '{domain}' has no training examples left after the holdout; lower the holdout fraction or add data.", nameof(split));
        return new PerDomainBatchSampler(split.SourceDomains.Select(d => split.TrainByDomain[d]).ToArray(), perDomain, seed);
    }

    /// <summary>The infinite sequence of steps; each step is one list of <see cref="PerDomain"/> examples per domain.</summary>
    public IEnumerator<IReadOnlyList<IReadOnlyList<Example>>> GetEnumerator()
    {
        var walkers = domains.Select((examples, d) => new DomainWalker(examples, new Random(StableHash.Combine(Seed, d)))).ToArray();
        while (true)
        {
            var step = new IReadOnlyList<Example>[walkers.Length];
            for (int d = 0; d < walkers.Length; d++)
            {
                var batch = new Example[PerDomain];
                for (int i = 0; i < batch.Length; i++) batch[i] = walkers[d].Next();
                step[d] = batch;
            }
            yield return step;
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Walks one domain's examples in a shuffled order, reshuffling at the end of each pass.</summary>
    private sealed class DomainWalker(IReadOnlyList<Example> examples, Random random)
    {
        private readonly int[] order = Enumerable.Range(0, examples.Count).ToArray();
        private int position = examples.Count;

        public Example Next()
        {
            if (position == order.Length)
            {
                random.Shuffle(order);
                position = 0;
            }
            return examples[order[position++]];
        }
    }
}
