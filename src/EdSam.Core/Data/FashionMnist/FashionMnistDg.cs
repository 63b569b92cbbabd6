using EdSam.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Data.FashionMnist;

/// <summary>Fashion-MNIST-DG, EdSam's built-in domain-generalization benchmark: the Fashion-MNIST pictures
/// (Zalando SE, MIT licence) rendered in several <see cref="FashionMnistDomain">domains</see> — photo,
/// negative, sketch, blurred + noisy, tinted on texture, rotated — that shift the image distribution the way
/// PACS and OfficeHome domains do, over the ten real clothing classes, each image with a caption such as
/// <c>"a sketch of an ankle boot"</c>. An <see cref="IDomainDataset"/>, so every trainer and evaluator runs on
/// it unchanged, and <see cref="DomainDatasetExtensions.LeaveOneDomainOut"/> splits it.</summary>
/// <remarks>
/// Only the 8-bit pictures are held in memory (10,000 × 784 bytes embedded; 70,000 with the Debian package);
/// an example renders when its <see cref="ImageSource.Load"/> is called, or a whole batch at once with
/// <see cref="Render"/>. See <c>docs/fashion-mnist-dg.md</c> for what each domain does and imitates.
/// </remarks>
/// <example><code>
/// var data = FashionMnistDg.Load(new FashionMnistDgOptions { MaxPerDomain = 500 });
/// DomainSplit split = data.LeaveOneDomainOut("sketch", seed: 0);
/// </code></example>
public sealed class FashionMnistDg : IDomainDataset
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the data set.</summary>
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    private readonly FashionMnistPictures pictures;
    private readonly Dictionary<string, IReadOnlyList<Example>> byDomain;

    private FashionMnistDg(FashionMnistDgOptions options, FashionMnistPictures pictures)
    {
        Options = options;
        this.pictures = pictures;
        Renderer = new FashionMnistRenderer(options.ImageSize, options.Seed);
        DomainValues = (options.Domains ?? FashionMnistDomains.All).ToArray();
        Domains = DomainValues.Select(d => d.Name()).ToArray();
        byDomain = BuildExamples();
    }

    /// <inheritdoc/>
    public string Name => "Fashion-MNIST-DG";

    /// <inheritdoc/>
    /// <remarks>The names of <see cref="DomainValues"/> (<c>photo</c>, <c>negative</c>, <c>sketch</c>,
    /// <c>blurred-noisy</c>, <c>tinted-texture</c>, <c>rotated</c> by default).</remarks>
    public IReadOnlyList<string> Domains { get; }

    /// <summary>The domains as enum values, in the order of <see cref="Domains"/>.</summary>
    public IReadOnlyList<FashionMnistDomain> DomainValues { get; }

    /// <inheritdoc/>
    /// <remarks><see cref="FashionMnistClasses.Names"/>: t-shirt, trouser, pullover, dress, coat, sandal, shirt,
    /// sneaker, bag, ankle boot.</remarks>
    public IReadOnlyList<string> ClassNames => FashionMnistClasses.Names;

    /// <summary>The options the data set was loaded with.</summary>
    public FashionMnistDgOptions Options { get; }

    /// <summary>The renderer of the examples' images (its size and seed come from <see cref="Options"/>).</summary>
    public FashionMnistRenderer Renderer { get; }

    /// <summary>Where the pictures were read from, e.g. <c>"embedded Fashion-MNIST test split (10,000 images)"</c>.</summary>
    public string SourceDescription => pictures.Description;

    /// <summary>Number of distinct source pictures read (10,000 embedded, 70,000 from the Debian folder), before
    /// they are dealt to domains and cut by <see cref="FashionMnistDgOptions.MaxPerDomain"/>.</summary>
    public int PictureCount => pictures.Count;

    /// <summary>Loads the pictures and lists the examples of every domain (nothing is rendered yet).</summary>
    /// <param name="options">Source, image size, subset size, seed, domains; defaults when null.</param>
    /// <returns>The data set.</returns>
    /// <exception cref="ArgumentException">Invalid options; the message lists every problem.</exception>
    /// <exception cref="DirectoryNotFoundException">The requested folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder holds no Fashion-MNIST split, or an images file without
    /// its labels file (or the reverse).</exception>
    /// <exception cref="IdxFormatException">A file is corrupt, truncated, or its labels do not match its images.</exception>
    public static FashionMnistDg Load(FashionMnistDgOptions? options = null)
    {
        options ??= new FashionMnistDgOptions();
        options.Validate();
        return new FashionMnistDg(options, FashionMnistPictures.Read(options.Source, options.Folder));
    }

    /// <inheritdoc/>
    public IReadOnlyList<Example> GetExamples(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return byDomain.TryGetValue(domain, out var examples)
            ? examples
            : throw new ArgumentException($"Unknown domain '{domain}' in {Name}; its domains are: {string.Join(", ", Domains)}.", nameof(domain));
    }

    /// <summary>Renders many examples of this data set at once — one batched call per domain, much faster than
    /// loading them one by one.</summary>
    /// <param name="examples">Examples returned by <see cref="GetExamples"/> (or a split of this data set).</param>
    /// <returns>A new float32 tensor [N, 3, S, S] in [0, 1], in the order of <paramref name="examples"/>; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The list is empty, or an example does not come from this data set.</exception>
    public Tensor Render(IReadOnlyList<Example> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("At least one example is needed.", nameof(examples));
        var sources = new RenderedImage[examples.Count];
        for (int i = 0; i < sources.Length; i++)
            sources[i] = examples[i].Image is RenderedImage r && ReferenceEquals(r.Owner, this)
                ? r
                : throw new ArgumentException($"Example '{examples[i].Key}' does not come from this {Name} data set.", nameof(examples));

        using var scope = torch.NewDisposeScope();
        var output = torch.empty(examples.Count, 3, Renderer.ImageSize, Renderer.ImageSize);
        foreach (var group in Enumerable.Range(0, sources.Length).GroupBy(i => sources[i].Domain))
        {
            int[] positions = group.ToArray();
            int[] picturesOfGroup = positions.Select(i => sources[i].Picture).ToArray();
            using var rendered = Renderer.Render(group.Key, pictures.Images, picturesOfGroup, picturesOfGroup.Select(p => pictures.Ids[p]).ToArray());
            using var index = torch.tensor(positions.Select(p => (long)p).ToArray());
            output.index_copy_(0, index, rendered);
        }
        return scope.MoveToOuter(output);
    }

    /// <summary>One example picture of each class (the first of its class in the source) rendered in every
    /// domain: a [domains × 10, 3, S, S] batch, one row of ten classes per domain — what
    /// <c>docs/images/fashion-mnist-dg-domains.png</c> shows.</summary>
    /// <returns>A new float32 tensor in [0, 1]; the caller owns it.</returns>
    public Tensor RenderDomainGrid()
    {
        int[] firstOfClass = Enumerable.Range(0, FashionMnistClasses.Count)
            .Select(c => Array.IndexOf(pictures.Labels, (byte)c))
            .Where(p => p >= 0)
            .ToArray();
        long[] ids = firstOfClass.Select(p => pictures.Ids[p]).ToArray();
        using var scope = torch.NewDisposeScope();
        var rows = DomainValues.Select(d => Renderer.Render(d, pictures.Images, firstOfClass, ids)).ToArray();
        return scope.MoveToOuter(torch.cat(rows, 0));
    }

    /// <summary>Writes <see cref="RenderDomainGrid"/> as a PNG (atomically), one row per domain, one column per class.</summary>
    /// <param name="path">Destination; replaced if it exists.</param>
    public void SaveDomainGrid(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var grid = RenderDomainGrid();
        ImageGrid.Save(path, grid, columns: FashionMnistClasses.Count, padding: 2, padValue: 1f);
    }

    // Deals the pictures to the domains class by class (seeded), then orders each domain's examples so that they
    // cycle through the classes: any prefix — and so MaxPerDomain — is class-balanced.
    private Dictionary<string, IReadOnlyList<Example>> BuildExamples()
    {
        int domainCount = DomainValues.Count;
        var perDomainPerClass = new List<int>[domainCount, FashionMnistClasses.Count];
        for (int d = 0; d < domainCount; d++)
            for (int c = 0; c < FashionMnistClasses.Count; c++) perDomainPerClass[d, c] = [];

        for (int c = 0; c < FashionMnistClasses.Count; c++)
        {
            var ofClass = Enumerable.Range(0, pictures.Count).Where(p => pictures.Labels[p] == c).ToList();
            SplitMix64.Keyed(Options.Seed, AssignmentStream, c).Shuffle(ofClass);
            for (int k = 0; k < ofClass.Count; k++)
            {
                if (Options.DisjointDomains) perDomainPerClass[(k + c) % domainCount, c].Add(ofClass[k]);
                else for (int d = 0; d < domainCount; d++) perDomainPerClass[d, c].Add(ofClass[k]);
            }
        }

        var result = new Dictionary<string, IReadOnlyList<Example>>(StringComparer.Ordinal);
        for (int d = 0; d < domainCount; d++)
        {
            var domain = DomainValues[d];
            int limit = Options.MaxPerDomain ?? int.MaxValue;
            var examples = new List<Example>();
            for (int round = 0; examples.Count < limit; round++)
            {
                bool any = false;
                for (int c = 0; c < FashionMnistClasses.Count && examples.Count < limit; c++)
                {
                    if (round >= perDomainPerClass[d, c].Count) continue;
                    any = true;
                    examples.Add(MakeExample(domain, perDomainPerClass[d, c][round]));
                }
                if (!any) break;
            }
            result.Add(domain.Name(), examples);
        }
        return result;
    }

    private Example MakeExample(FashionMnistDomain domain, int picture)
    {
        int label = pictures.Labels[picture];
        long id = pictures.Ids[picture];
        return new Example($"{domain.Name()}/{pictures.SplitKey(picture)}", new RenderedImage(this, domain, picture))
        {
            Label = label,
            Domain = domain.Name(),
            Caption = FashionMnistCaptions.Caption(domain, label, FashionMnistCaptions.TemplateFor(Options.Seed, id)),
        };
    }

    // Distinct from the rendering streams (the FashionMnistDomain values) and the caption stream.
    private const long AssignmentStream = 0x6173_7367; // "assg"

    /// <summary>An example's image: a picture of this data set, rendered in one domain on each load.</summary>
    private sealed class RenderedImage(FashionMnistDg owner, FashionMnistDomain domain, int picture) : ImageSource
    {
        public FashionMnistDg Owner => owner;

        public FashionMnistDomain Domain => domain;

        public int Picture => picture;

        public override string Description => $"{owner.Name} {owner.pictures.SplitKey(picture)} rendered as {domain.Name()}";

        public override Tensor Load()
        {
            using var batch = owner.Renderer.Render(domain, owner.pictures.Images, [picture], [owner.pictures.Ids[picture]]);
            return batch.squeeze(0); // a view that keeps the storage alive after the batch handle is disposed
        }
    }
}
