namespace EdSam.Data;

/// <summary>Splits of an <see cref="IDomainDataset"/>.</summary>
public static class DomainDatasetExtensions
{
    /// <summary>Leave-one-domain-out split: <paramref name="testDomain"/> becomes the test set (all of its
    /// examples); each other domain is shuffled with a seed derived from <paramref name="seed"/> and the domain's
    /// name, and its first <c>round(n × holdoutFraction)</c> examples become validation, the rest training.</summary>
    /// <param name="dataset">The data set.</param>
    /// <param name="testDomain">The held-out domain; one of <see cref="IDomainDataset.Domains"/>.</param>
    /// <param name="seed">Seed of the holdout shuffle: the same seed gives the same split on every machine and run.</param>
    /// <param name="holdoutFraction">Fraction of each source domain kept for validation, in [0, 1). DomainBed uses 0.2.</param>
    /// <returns>The split.</returns>
    /// <exception cref="ArgumentException">Unknown domain (the message lists the data set's), or a data set with a single domain.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="holdoutFraction"/> is outside [0, 1).</exception>
    public static DomainSplit LeaveOneDomainOut(this IDomainDataset dataset, string testDomain, int seed, double holdoutFraction = 0.2)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(testDomain);
        if (!(holdoutFraction >= 0 && holdoutFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(holdoutFraction), holdoutFraction, "The holdout fraction must be in [0, 1).");
        if (!dataset.Domains.Contains(testDomain, StringComparer.Ordinal))
            throw new ArgumentException($"Unknown test domain '{testDomain}'; data set '{dataset.Name}' has: {string.Join(", ", dataset.Domains)}.", nameof(testDomain));
        if (dataset.Domains.Count < 2)
            throw new ArgumentException($"Data set '{dataset.Name}' has a single domain; leave-one-domain-out needs at least two.", nameof(dataset));

        var sources = dataset.Domains.Where(d => d != testDomain).ToArray();
        var train = new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal);
        var validation = new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal);
        foreach (string domain in sources)
        {
            var examples = dataset.GetExamples(domain);
            int[] order = Enumerable.Range(0, examples.Count).ToArray();
            // A stable per-domain seed (string.GetHashCode is randomised per process) so that the split of one
            // domain does not depend on which other domains exist or on their order.
            new Random(StableHash.Combine(seed, domain)).Shuffle(order);
            int holdout = (int)Math.Round(examples.Count * holdoutFraction, MidpointRounding.AwayFromZero);
            validation[domain] = order.Take(holdout).Order().Select(i => examples[i]).ToArray();
            train[domain] = order.Skip(holdout).Order().Select(i => examples[i]).ToArray();
        }
        return new DomainSplit(testDomain, sources, dataset.ClassNames, train, validation, dataset.GetExamples(testDomain));
    }
}
