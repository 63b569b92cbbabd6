namespace EdSam.Data;

/// <summary>A domain-generalization data set: examples grouped by domain (photo, art, cartoon, sketch…), all
/// labelled over one shared class list. DomainBed folders (<see cref="DomainBed.DomainBedFolder"/>), the
/// built-in benchmark and in-memory sets (<see cref="DomainDataset"/>) implement it, so every trainer and
/// evaluator runs unchanged on any of them. Split it with
/// <see cref="DomainDatasetExtensions.LeaveOneDomainOut"/>.</summary>
public interface IDomainDataset
{
    /// <summary>Name of the data set, for logs and reports.</summary>
    string Name { get; }

    /// <summary>Domain names, in a stable (ordinal-sorted for folders) order.</summary>
    IReadOnlyList<string> Domains { get; }

    /// <summary>Class names, index = label. Human-readable (used in CLIP text prompts: <c>"a photo of a {name}"</c>).</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>All examples of one domain, in a stable order; every example has <see cref="Example.Domain"/>
    /// = <paramref name="domain"/> and a <see cref="Example.Label"/>. Images are not decoded until loaded.</summary>
    /// <exception cref="ArgumentException"><paramref name="domain"/> is not one of <see cref="Domains"/>.</exception>
    IReadOnlyList<Example> GetExamples(string domain);
}
