using System.Text.Json;
using EdSam.Data;
using EdSam.Data.WebDataset;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>
/// Adversarial samples read from WebDataset shards written by <see cref="AugmentationJob"/>, matched to training
/// examples by the <c>source</c> key in each sample's <c>key.json</c>.
/// </summary>
/// <remarks>
/// <para>The shards are indexed once in the constructor; the samples' encoded images stay in memory (PNG bytes,
/// decoded on use), so this suits augmentation sets up to a few GB. An example with no sample in the shards gets none
/// (the trainer then uses its real image only for it).</para>
/// <para>Keys are matched exactly: <see cref="AugmentationJob"/> records the source example's <see cref="Example.Key"/>
/// (for folder and table data sets its absolute image path), so the shards fit only the copy of the data they were
/// generated from. <see cref="EdSamTrainer"/> checks this before training (<see cref="HasSamples"/>) and refuses to
/// train when no training example has a sample.</para>
/// </remarks>
public sealed class ShardAdversarialSource : IAdversarialSampleSource
{
    private readonly Dictionary<string, List<Example>> _bySource = new(StringComparer.Ordinal);
    private readonly string? _firstSource;

    /// <summary>Reads and indexes the shards.</summary>
    /// <param name="shards">Shard paths or brace patterns (<c>aug/edsam-{000000..000009}.tar</c>).</param>
    /// <exception cref="DataInputException">A shard is corrupt, or a sample's JSON has no <c>source</c> string
    /// (the message names the sample).</exception>
    public ShardAdversarialSource(IEnumerable<string> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        var reader = new WebDatasetReader(shards);
        Shards = reader.AllShards;
        foreach (var sample in reader)
        {
            string? source = null;
            try
            {
                using var json = JsonDocument.Parse(sample.Metadata ?? "{}");
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("source", out var value) && value.ValueKind == JsonValueKind.String)
                    source = value.GetString();
            }
            catch (JsonException)
            {
            }
            if (source is null)
                throw new DataInputException(sample.Image.Description, "the adversarial sample has no \"source\" string in its key.json (was it written by AugmentationJob?).", member: sample.Key + ".json");
            if (!_bySource.TryGetValue(source, out var list)) _bySource[source] = list = [];
            list.Add(sample);
            _firstSource ??= source;
        }
    }

    /// <summary>The shard files read (expanded, absolute paths).</summary>
    public IReadOnlyList<string> Shards { get; }

    /// <summary>"shards " and the shard file names (without folders, so moving the shards keeps a run resumable).</summary>
    public string Description => "shards " + string.Join(", ", Shards.Select(Path.GetFileName));

    /// <summary>The first <c>source</c> key found in the shards, or null when they hold no sample.</summary>
    public string? ExampleSourceKey => _firstSource;

    /// <summary>True when the shards hold a sample of <paramref name="example"/> (its key matches a sample's <c>source</c> exactly).</summary>
    /// <param name="example">A training example.</param>
    public bool? HasSamples(Example example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return _bySource.ContainsKey(example.Key);
    }

    /// <summary>Number of source examples that have samples.</summary>
    public int SourceCount => _bySource.Count;

    /// <summary>Number of samples indexed.</summary>
    public int SampleCount => _bySource.Values.Sum(l => l.Count);

    /// <summary>The samples of the source example <paramref name="sourceKey"/> (empty when none).</summary>
    /// <param name="sourceKey">The <see cref="Example.Key"/> of a source example.</param>
    public IReadOnlyList<Example> SamplesOf(string sourceKey) => _bySource.TryGetValue(sourceKey, out var list) ? list : [];

    /// <inheritdoc />
    public IReadOnlyList<Tensor?> Get(IReadOnlyList<Example> examples, IReadOnlyList<int> choices)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(choices);
        var images = new Tensor?[examples.Count];
        for (int i = 0; i < examples.Count; i++)
        {
            var samples = SamplesOf(examples[i].Key);
            images[i] = samples.Count == 0 ? null : samples[choices[i] % samples.Count].Image.Load();
        }
        return images;
    }
}
