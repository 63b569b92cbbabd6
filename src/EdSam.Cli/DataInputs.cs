using EdSam.Data;
using EdSam.Data.Captions;
using EdSam.Data.DomainBed;
using EdSam.Data.FashionMnist;
using EdSam.Data.WebDataset;

namespace EdSam.Cli;

/// <summary>
/// Turns data arguments into examples: image files, folders, CSV/TSV caption tables, WebDataset shard patterns
/// (brace-expanded, <c>data/{000000..000099}.tar</c>) and the literal <c>fashion-mnist-dg</c> (the built-in benchmark).
/// </summary>
internal static class DataInputs
{
    /// <summary>The literal that names the built-in benchmark.</summary>
    public const string FashionMnistDgName = "fashion-mnist-dg";

    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tga", ".webp"];

    /// <summary>Checks every input exists before any model is loaded, so a typo fails in milliseconds.</summary>
    /// <exception cref="FileNotFoundException">An input is neither a file, a folder, a shard pattern nor the benchmark name.</exception>
    public static void RequireExisting(IEnumerable<string> inputs, string option)
    {
        foreach (string input in inputs)
        {
            if (input == FashionMnistDgName || File.Exists(input) || Directory.Exists(input)) continue;
            if (IsShardPattern(input))
            {
                foreach (string shard in ShardList.Expand(input))
                    if (!File.Exists(shard)) throw new FileNotFoundException($"{option}: the shard '{shard}' (from '{input}') does not exist.", shard);
                continue;
            }
            throw new FileNotFoundException($"{option}: '{input}' does not exist.", input);
        }
    }

    /// <summary>Examples from image inputs, streamed in order; keys are full file paths, table keys or shard keys.</summary>
    /// <param name="inputs">Files, folders (images found recursively, in ordinal order), tables, shard patterns or <c>fashion-mnist-dg</c>.</param>
    /// <param name="shardIndex">Slice of the WebDataset shards to read (other inputs are read whole).</param>
    /// <param name="shardCount">Number of slices.</param>
    public static IEnumerable<Example> Images(IEnumerable<string> inputs, int shardIndex = 0, int shardCount = 1)
    {
        foreach (string input in inputs)
        {
            if (input == FashionMnistDgName)
            {
                var benchmark = FashionMnistDg.Load();
                foreach (string domain in benchmark.Domains)
                    foreach (var example in benchmark.GetExamples(domain)) yield return example;
            }
            else if (IsShardPattern(input))
            {
                foreach (var example in new WebDatasetReader(input, new WebDatasetOptions { ShardIndex = shardIndex, ShardCount = shardCount }))
                    yield return example;
            }
            else if (IsTable(input))
            {
                foreach (var example in CaptionTable.Open(input)) yield return example;
            }
            // Full paths, as DomainBed folders and caption tables give: an image's key is then the same whichever
            // working directory or spelling a command was given (ED-SAM finds x* in the shards by their source's key).
            else if (Directory.Exists(input))
            {
                foreach (string file in Directory.EnumerateFiles(Path.GetFullPath(input), "*", SearchOption.AllDirectories)
                    .Where(IsImageFile).Order(StringComparer.Ordinal))
                    yield return new Example(file, ImageSource.FromFile(file));
            }
            else
            {
                string file = Path.GetFullPath(input);
                yield return new Example(file, ImageSource.FromFile(file));
            }
        }
    }

    /// <summary>Opens a labelled, domain-grouped data set for evaluation.</summary>
    /// <param name="data">A DomainBed folder (<c>root/domain/class/*.jpg</c>), a CSV/TSV table with label and domain
    /// columns, or <c>fashion-mnist-dg</c>.</param>
    /// <exception cref="CliUsageException">WebDataset shards were given (they carry no domain labels).</exception>
    public static IDomainDataset Domains(string data)
    {
        if (data == FashionMnistDgName) return FashionMnistDg.Load();
        if (IsShardPattern(data))
            throw new CliUsageException($"--data: '{data}' is a WebDataset shard pattern; evaluation needs domain and class labels: give a DomainBed folder, a CSV/TSV table with label and domain columns, or {FashionMnistDgName}.");
        if (IsTable(data))
        {
            ModelArguments.RequireFile(data, "--data");
            return CaptionTable.Open(data).ToDomainDataset();
        }
        if (!Directory.Exists(data)) throw new DirectoryNotFoundException($"--data: the folder '{data}' does not exist.");
        return DomainBedFolder.Open(data);
    }

    /// <summary>Throws a usage error naming <paramref name="option"/> when <paramref name="domain"/> is not one of the data set's domains.</summary>
    /// <exception cref="CliUsageException">The domain is unknown; the message lists the domains there are.</exception>
    public static void RequireDomain(IDomainDataset dataset, string domain, string option)
    {
        if (!dataset.Domains.Contains(domain, StringComparer.Ordinal))
            throw new CliUsageException($"{option}: '{domain}' is not a domain of {dataset.Name} ({string.Join(", ", dataset.Domains)}).");
    }

    private static bool IsShardPattern(string input) =>
        input.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) || (input.Contains('{') && input.Contains(".tar", StringComparison.OrdinalIgnoreCase));

    private static bool IsTable(string input) =>
        input.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || input.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase);

    private static bool IsImageFile(string path) => ImageExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);
}
