namespace EdSam.Data;

/// <summary>An <see cref="IDomainDataset"/> over examples already listed in memory (images still lazy):
/// what a custom source, a caption table with a domain column, or a test builds.</summary>
public sealed class DomainDataset : IDomainDataset
{
    private readonly Dictionary<string, IReadOnlyList<Example>> byDomain;

    /// <summary>Creates the data set.</summary>
    /// <param name="name">Name for logs.</param>
    /// <param name="classNames">Class names, index = label.</param>
    /// <param name="examplesByDomain">Examples of each domain; domains keep the order given. Each example's
    /// <see cref="Example.Domain"/> is set to its domain's name if it differs.</param>
    /// <exception cref="ArgumentException">No domains, duplicate domain, or a label outside <paramref name="classNames"/>.</exception>
    public DomainDataset(string name, IReadOnlyList<string> classNames, IEnumerable<KeyValuePair<string, IReadOnlyList<Example>>> examplesByDomain)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(examplesByDomain);
        Name = name;
        ClassNames = classNames.ToArray();
        var domains = new List<string>();
        byDomain = new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal);
        foreach (var (domain, examples) in examplesByDomain)
        {
            ArgumentException.ThrowIfNullOrEmpty(domain, nameof(examplesByDomain));
            if (byDomain.ContainsKey(domain)) throw new ArgumentException($"Domain '{domain}' is listed twice.", nameof(examplesByDomain));
            var list = new Example[examples.Count];
            for (int i = 0; i < list.Length; i++)
            {
                var example = examples[i];
                if (example.Label is { } label && (label < 0 || label >= ClassNames.Count))
                    throw new ArgumentException($"Example '{example.Key}' in domain '{domain}' has label {label}, outside the {ClassNames.Count} classes.", nameof(examplesByDomain));
                list[i] = example.Domain == domain ? example : example with { Domain = domain };
            }
            byDomain.Add(domain, list);
            domains.Add(domain);
        }
        if (domains.Count == 0) throw new ArgumentException("A domain data set needs at least one domain.", nameof(examplesByDomain));
        Domains = domains;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Domains { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Example> GetExamples(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return byDomain.TryGetValue(domain, out var examples)
            ? examples
            : throw new ArgumentException($"Unknown domain '{domain}' in data set '{Name}'; its domains are: {string.Join(", ", Domains)}.", nameof(domain));
    }
}
