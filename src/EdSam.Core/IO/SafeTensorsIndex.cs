using System.Text.Json;
using static TorchSharp.torch;

namespace EdSam.IO;

/// <summary>
/// The index of a sharded safetensors checkpoint — Hugging Face's <c>model.safetensors.index.json</c>,
/// <c>{"metadata": {...}, "weight_map": {"tensor key": "model-00001-of-00002.safetensors", ...}}</c> — with the shard
/// files beside it. Large checkpoints are published this way because a single file would exceed the hub's size limit.
/// </summary>
/// <example><code>
/// var index = SafeTensorsIndex.Read("clip/model.safetensors.index.json");
/// Dictionary&lt;string, Tensor&gt; stateDict = index.Load();
/// </code></example>
public sealed class SafeTensorsIndex
{
    /// <summary>The index file name transformers writes beside its shards.</summary>
    public const string DefaultFileName = "model.safetensors.index.json";

    private SafeTensorsIndex(string path, IReadOnlyDictionary<string, string> weightMap)
    {
        Path = path;
        WeightMap = weightMap;
        ShardFiles = weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The index file.</summary>
    public string Path { get; }

    /// <summary>Tensor key → the shard file (a name in the index's folder) that holds it.</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>The distinct shard file names, in ordinal order.</summary>
    public IReadOnlyList<string> ShardFiles { get; }

    /// <summary>Whether <paramref name="path"/> names a shard index (<c>*.safetensors.index.json</c>) rather than a weights file.</summary>
    /// <param name="path">A checkpoint path.</param>
    /// <returns>True for an index file name.</returns>
    public static bool IsIndexPath(string path) =>
        path is not null && path.EndsWith(".safetensors.index.json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads and validates an index (the shards are not opened).</summary>
    /// <param name="path">The <c>*.safetensors.index.json</c> file.</param>
    /// <returns>The index.</returns>
    /// <exception cref="FileNotFoundException">The index does not exist.</exception>
    /// <exception cref="SafeTensorsFormatException">The index is not JSON, has no non-empty <c>weight_map</c> object of
    /// string values, or names a shard that is not a plain <c>.safetensors</c> file name (a path is refused: shards live
    /// beside the index).</exception>
    public static SafeTensorsIndex Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"The shard index '{path}' does not exist.", path);
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new SafeTensorsFormatException(path, null, $"is not valid JSON ({e.Message})", e); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
                throw new SafeTensorsFormatException(path, "weight_map", "is missing; expected {\"weight_map\": {\"tensor key\": \"shard.safetensors\", ...}}");
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty entry in map.EnumerateObject())
            {
                string field = $"weight_map '{entry.Name}'";
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new SafeTensorsFormatException(path, field, $"must be a shard file name, not {entry.Value.ValueKind}");
                string shard = entry.Value.GetString()!;
                if (shard.Length == 0 || shard.Contains('/') || shard.Contains('\\') || shard is "." or ".." || System.IO.Path.IsPathRooted(shard)
                    || !shard.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                    throw new SafeTensorsFormatException(path, field, $"'{shard}' is not a .safetensors file name beside the index");
                if (!weightMap.TryAdd(entry.Name, shard))
                    throw new SafeTensorsFormatException(path, field, "is listed twice");
            }
            if (weightMap.Count == 0) throw new SafeTensorsFormatException(path, "weight_map", "is empty");
            return new SafeTensorsIndex(path, weightMap);
        }
    }

    /// <summary>
    /// Loads every tensor of every shard, checking that each shard holds exactly the keys the index assigns to it (a
    /// shard from another checkpoint or an interrupted download would otherwise go unnoticed).
    /// </summary>
    /// <param name="device">Where the tensors should live; CPU when null.</param>
    /// <param name="dtype">The element type for floating-point tensors; null keeps every dtype.</param>
    /// <returns>The tensors by key; the caller owns (and disposes) them.</returns>
    /// <exception cref="FileNotFoundException">A shard is missing (the message names it and the index).</exception>
    /// <exception cref="SafeTensorsFormatException">A shard is malformed, lacks a key the index assigns to it, or holds
    /// a key the index does not assign to it.</exception>
    public Dictionary<string, Tensor> Load(Device? device = null, ScalarType? dtype = null)
    {
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        var tensors = new Dictionary<string, Tensor>(WeightMap.Count, StringComparer.Ordinal);
        try
        {
            foreach (string shard in ShardFiles)
            {
                string shardPath = System.IO.Path.Combine(folder, shard);
                if (!File.Exists(shardPath))
                    throw new FileNotFoundException($"{Path}: shard '{shard}' is missing (expected at {shardPath}).", shardPath);
                // The header alone tells which keys a shard holds: check them before reading any tensor data.
                CheckShard(shard, shardPath, SafeTensors.ReadInfo(shardPath).Tensors.Select(t => t.Key).ToHashSet(StringComparer.Ordinal));
                foreach (var (key, tensor) in SafeTensors.Load(shardPath, device, dtype)) tensors.Add(key, tensor);
            }
            return tensors;
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
    }

    // A shard must hold exactly the keys the index assigns to it; since every key has one shard in the index, this also
    // rules out a key stored in two shards.
    private void CheckShard(string shard, string shardPath, IReadOnlySet<string> keys)
    {
        foreach (string key in keys)
            if (!WeightMap.TryGetValue(key, out string? assigned) || assigned != shard)
                throw new SafeTensorsFormatException(shardPath, $"tensor '{key}'",
                    assigned is null ? $"is not in the index {Path}" : $"belongs to shard '{assigned}' according to the index {Path}");
        var absent = WeightMap.Where(p => p.Value == shard && !keys.Contains(p.Key)).Select(p => p.Key).ToArray();
        if (absent.Length > 0)
            throw new SafeTensorsFormatException(shardPath, null,
                $"lacks {absent.Length} tensor(s) the index {Path} assigns to it: {string.Join(", ", absent.Take(5))}{(absent.Length > 5 ? ", …" : "")}");
    }
}
