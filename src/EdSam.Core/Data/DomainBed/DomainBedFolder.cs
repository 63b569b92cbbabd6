namespace EdSam.Data.DomainBed;

/// <summary>A data set laid out as DomainBed expects: <c>root/&lt;domain&gt;/&lt;class&gt;/&lt;image&gt;</c> (PACS, VLCS,
/// OfficeHome, TerraIncognita, DomainNet). Domains and classes are the sub-folders, sorted ordinally; the class
/// list is the union over domains, so a label means the same class in every domain. Class names are the folder
/// names with <c>_</c> read as a space (<c>"tennis_racket"</c> → <c>"tennis racket"</c>), ready for text prompts.</summary>
/// <remarks>Opening lists the files (paths only); images are decoded when loaded.</remarks>
public sealed class DomainBedFolder : IDomainDataset
{
    private readonly Dictionary<string, IReadOnlyList<Example>> byDomain;
    private readonly BadInputGuard guard;

    private DomainBedFolder(string root, string name, IReadOnlyList<string> domains, IReadOnlyList<string> classFolders,
        Dictionary<string, IReadOnlyList<Example>> byDomain, BadInputGuard guard)
    {
        Root = root;
        Name = name;
        Domains = domains;
        ClassFolders = classFolders;
        ClassNames = classFolders.Select(c => c.Replace('_', ' ')).ToArray();
        this.byDomain = byDomain;
        this.guard = guard;
    }

    /// <summary>The root folder (absolute).</summary>
    public string Root { get; }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Domains { get; }

    /// <summary>The class folder names, index = label (as on disk, <c>_</c> kept).</summary>
    public IReadOnlyList<string> ClassFolders { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Problems skipped while opening (empty class folders, classes missing from a domain) under
    /// <see cref="BadInputPolicy.Skip"/>.</summary>
    public long SkippedCount => guard.SkippedCount;

    /// <inheritdoc/>
    public IReadOnlyList<Example> GetExamples(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return byDomain.TryGetValue(domain, out var examples)
            ? examples
            : throw new ArgumentException($"Unknown domain '{domain}' under {Root}; its domains are: {string.Join(", ", Domains)}.", nameof(domain));
    }

    /// <summary>Scans <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding one sub-folder per domain.</param>
    /// <param name="options">Extensions, bad-input policy, name, logger; defaults when null.</param>
    /// <returns>The data set.</returns>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="DataInputException">No domain folders, no classes, or (under <see cref="BadInputPolicy.Fail"/>)
    /// an empty class folder or a class missing from a domain; the message names the folder.</exception>
    public static DomainBedFolder Open(string root, DomainBedOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        options ??= new DomainBedOptions();
        options.Validate();
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"DomainBed root folder not found: {root}");
        var guard = new BadInputGuard(options.BadInputPolicy, options.Logger);
        var extensions = new HashSet<string>(options.ImageExtensions, StringComparer.OrdinalIgnoreCase);

        string[] domains = SortedSubfolders(root);
        if (domains.Length == 0)
            throw new DataInputException(root, "no domain folders; expected root/<domain>/<class>/<image>.");

        var classesPerDomain = domains.ToDictionary(d => d, d => SortedSubfolders(Path.Combine(root, d)), StringComparer.Ordinal);
        string[] classes = classesPerDomain.Values.SelectMany(c => c).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new DataInputException(root, "no class folders in any domain; expected root/<domain>/<class>/<image>.");
        var classIndex = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);

        var byDomain = new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal);
        foreach (string domain in domains)
        {
            var examples = new List<Example>();
            var present = new HashSet<string>(classesPerDomain[domain], StringComparer.Ordinal);
            foreach (string cls in classes)
            {
                string folder = Path.Combine(root, domain, cls);
                if (!present.Contains(cls))
                {
                    guard.Report(new DataInputException(folder, $"class '{cls}' is missing from domain '{domain}' (other domains have it)."));
                    continue;
                }
                var images = Directory.EnumerateFiles(folder)
                    .Where(f => !Path.GetFileName(f).StartsWith('.') && extensions.Contains(Path.GetExtension(f)))
                    .Order(StringComparer.Ordinal)
                    .ToArray();
                if (images.Length == 0)
                {
                    guard.Report(new DataInputException(folder, $"class folder has no images ({string.Join(", ", options.ImageExtensions)})."));
                    continue;
                }
                foreach (string image in images)
                    examples.Add(new Example(image, ImageSource.FromFile(image)) { Label = classIndex[cls], Domain = domain });
            }
            byDomain[domain] = examples;
        }
        return new DomainBedFolder(root, options.Name ?? Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)), domains, classes, byDomain, guard);
    }

    private static string[] SortedSubfolders(string folder) =>
        Directory.EnumerateDirectories(folder)
            .Select(Path.GetFileName)
            .Where(n => !string.IsNullOrEmpty(n) && !n.StartsWith('.'))
            .Select(n => n!)
            .Order(StringComparer.Ordinal)
            .ToArray();
}
