namespace EdSam.Data;

/// <summary>A leave-one-domain-out split (the DomainBed protocol): train on the source domains, select models
/// on a seeded in-domain holdout of those same source domains, test on the held-out domain the model never saw.</summary>
/// <remarks>Made by <see cref="DomainDatasetExtensions.LeaveOneDomainOut"/>.</remarks>
public sealed class DomainSplit
{
    internal DomainSplit(
        string testDomain,
        IReadOnlyList<string> sourceDomains,
        IReadOnlyList<string> classNames,
        IReadOnlyDictionary<string, IReadOnlyList<Example>> trainByDomain,
        IReadOnlyDictionary<string, IReadOnlyList<Example>> validationByDomain,
        IReadOnlyList<Example> test)
    {
        TestDomain = testDomain;
        SourceDomains = sourceDomains;
        ClassNames = classNames;
        TrainByDomain = trainByDomain;
        ValidationByDomain = validationByDomain;
        Train = sourceDomains.SelectMany(d => trainByDomain[d]).ToArray();
        Validation = sourceDomains.SelectMany(d => validationByDomain[d]).ToArray();
        Test = test;
    }

    /// <summary>The held-out (target) domain.</summary>
    public string TestDomain { get; }

    /// <summary>The training (source) domains: every domain but <see cref="TestDomain"/>, in data-set order.</summary>
    public IReadOnlyList<string> SourceDomains { get; }

    /// <summary>The data set's class names (index = label).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Training examples of each source domain (what <see cref="PerDomainBatchSampler"/> draws from).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Example>> TrainByDomain { get; }

    /// <summary>In-domain validation examples of each source domain.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Example>> ValidationByDomain { get; }

    /// <summary>All training examples, source domains concatenated in order.</summary>
    public IReadOnlyList<Example> Train { get; }

    /// <summary>All in-domain validation examples, source domains concatenated in order.</summary>
    public IReadOnlyList<Example> Validation { get; }

    /// <summary>Every example of the held-out domain.</summary>
    public IReadOnlyList<Example> Test { get; }
}
