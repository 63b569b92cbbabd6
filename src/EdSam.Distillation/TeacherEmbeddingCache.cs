using System.Globalization;
using System.Text.Json;
using EdSam.Clip;
using EdSam.IO;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Distillation;

/// <summary>
/// Teacher image embeddings of un-augmented images, computed once and kept in a <c>.safetensors</c> file keyed by
/// example key (usually the image path), so repeated distillation runs do not re-run the teacher.
/// </summary>
/// <remarks>
/// <para>The file holds one float32 tensor <c>embeddings</c> <c>[N, D]</c> and metadata: the format and version, the
/// example keys (a JSON array, row order) and the <see cref="TeacherCacheIdentity"/> (teacher, weights hash,
/// preprocessing). On load the identity is compared field by field: a different teacher, checkpoint or
/// preprocessing makes the cache stale, and it is rebuilt rather than used. Writes are atomic (temporary file,
/// then rename). If the teacher or the image loader fails, or the run is cancelled, the embeddings computed so far
/// are written first, so the next run only computes the rest.</para>
/// <para>The embeddings are held in memory on the CPU (N × D × 4 bytes: 50,000 images of a 768-d teacher take 150 MB).</para>
/// </remarks>
public sealed class TeacherEmbeddingCache : IDisposable
{
    /// <summary>The <c>format</c> metadata value of a cache file.</summary>
    public const string FormatName = "edsam.teacher-embeddings";

    /// <summary>The <c>format_version</c> this code reads and writes.</summary>
    public const int FormatVersion = 1;

    private const string EmbeddingsKey = "embeddings";
    private readonly Tensor _embeddings;
    private readonly Dictionary<string, long> _rows;

    private TeacherEmbeddingCache(string path, TeacherCacheIdentity identity, List<string> keys, Tensor embeddings, TeacherCacheStatus status, string? staleReason)
    {
        Path = path;
        Identity = identity;
        Keys = keys;
        _embeddings = embeddings;
        _rows = new Dictionary<string, long>(keys.Count, StringComparer.Ordinal);
        for (int i = 0; i < keys.Count; i++) _rows[keys[i]] = i;
        Status = status;
        StaleReason = staleReason;
    }

    /// <summary>The cache file.</summary>
    public string Path { get; }

    /// <summary>The teacher the embeddings come from.</summary>
    public TeacherCacheIdentity Identity { get; }

    /// <summary>How the embeddings were obtained (hit, built, rebuilt, extended).</summary>
    public TeacherCacheStatus Status { get; }

    /// <summary>Why an existing file was not used, when <see cref="Status"/> is <see cref="TeacherCacheStatus.Rebuilt"/>; otherwise null.</summary>
    public string? StaleReason { get; }

    /// <summary>Every cached key, in row order.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Number of cached embeddings.</summary>
    public int Count => Keys.Count;

    /// <summary>Embedding width D.</summary>
    public int EmbeddingDim => (int)_embeddings.shape[1];

    /// <summary>True when <paramref name="key"/> is cached.</summary>
    /// <param name="key">An example key.</param>
    /// <returns>Whether its embedding is cached.</returns>
    public bool Contains(string key) => _rows.ContainsKey(key);

    /// <summary>The embeddings of <paramref name="keys"/>, in that order.</summary>
    /// <param name="keys">Example keys, each cached.</param>
    /// <returns>A new float32 CPU tensor <c>[keys.Count, EmbeddingDim]</c>, as the teacher returned them (not re-normalised); the caller owns it.</returns>
    /// <exception cref="KeyNotFoundException">A key is not cached; the message names it.</exception>
    public Tensor Get(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ObjectDisposedException.ThrowIf(_embeddings.IsInvalid, this);
        var rows = new long[keys.Count];
        for (int i = 0; i < keys.Count; i++)
            rows[i] = _rows.TryGetValue(keys[i], out long row)
                ? row
                : throw new KeyNotFoundException($"'{keys[i]}' is not in the teacher-embedding cache '{Path}' ({Count} keys); build the cache with every key you will ask for.");
        using var index = tensor(rows, ScalarType.Int64);
        return _embeddings.index_select(0, index);
    }

    /// <summary>
    /// Opens the cache at <paramref name="path"/> and makes sure it holds an embedding of every key for this teacher:
    /// a valid file with every key is used as is; missing keys are computed and added; a stale or unreadable file is
    /// replaced; no file is built.
    /// </summary>
    /// <param name="path">The <c>.safetensors</c> cache file (its folder is created when missing).</param>
    /// <param name="identity">The teacher, its weights hash and the preprocessing.</param>
    /// <param name="keys">Example keys (duplicates are cached once).</param>
    /// <param name="loadImages">Loads un-augmented, preprocessed images for a batch of keys: <c>[n, 3, H, W]</c> in key order. Called only for keys not cached.</param>
    /// <param name="teacher">Images → embeddings <c>[n, D]</c> (any float dtype/device; stored as float32 on the CPU). Run under <c>torch.inference_mode()</c>; put a module in eval mode first.</param>
    /// <param name="options">Batch size, progress, logging; null for defaults.</param>
    /// <param name="cancellationToken">Stops after the current batch (the embeddings computed so far are saved first).</param>
    /// <returns>The cache; dispose it to release the embeddings.</returns>
    /// <exception cref="ArgumentException">A key is null or empty, the identity or options are invalid.</exception>
    /// <exception cref="InvalidOperationException">The loader or the teacher returned a tensor of the wrong shape (the message says which).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the embeddings computed so far were saved.</exception>
    public static TeacherEmbeddingCache LoadOrBuild(
        string path,
        TeacherCacheIdentity identity,
        IReadOnlyList<string> keys,
        Func<IReadOnlyList<string>, Tensor> loadImages,
        Func<Tensor, Tensor> teacher,
        TeacherCacheOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(loadImages);
        ArgumentNullException.ThrowIfNull(teacher);
        identity.Validate();
        options ??= new TeacherCacheOptions();
        options.Validate();
        var wanted = DistinctKeys(keys);
        var logger = options.Logger;

        var (existing, staleReason) = TryRead(path, identity);
        if (staleReason is not null) logger?.LogWarning("Teacher-embedding cache '{Path}' is stale and will be rebuilt: {Reason}", path, staleReason);

        var cachedKeys = existing?.Keys ?? [];
        var cachedSet = new HashSet<string>(cachedKeys, StringComparer.Ordinal);
        var missing = wanted.Where(k => !cachedSet.Contains(k)).ToList();
        if (existing is not null && missing.Count == 0)
        {
            logger?.LogInformation("Teacher-embedding cache hit: '{Path}' ({Count} embeddings).", path, existing.Value.Keys.Count);
            return new TeacherEmbeddingCache(path, identity, existing.Value.Keys, existing.Value.Embeddings, TeacherCacheStatus.Hit, null);
        }

        var status = existing is not null ? TeacherCacheStatus.Extended : staleReason is not null ? TeacherCacheStatus.Rebuilt : TeacherCacheStatus.Built;
        logger?.LogInformation("Computing {Missing} teacher embedding(s) for '{Path}' ({Status}).", missing.Count, path, status);
        var computed = new List<Tensor>();
        var computedKeys = new List<string>();
        long? width = existing is null ? null : existing.Value.Embeddings.shape[1];
        try
        {
            for (int start = 0; start < missing.Count; start += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batchKeys = missing.GetRange(start, Math.Min(options.BatchSize, missing.Count - start));
                var batch = EmbedBatch(batchKeys, loadImages, teacher, ref width);
                computed.Add(batch);
                computedKeys.AddRange(batchKeys);
                options.Progress?.Report(computedKeys.Count);
            }
        }
        catch
        {
            // Never lose work: keep what was computed (the next run only computes the rest).
            if (computedKeys.Count > 0)
            {
                try
                {
                    using var partial = Merge(existing?.Embeddings, computed);
                    Write(path, identity, [.. cachedKeys, .. computedKeys], partial);
                    logger?.LogInformation("Saved {Count} teacher embedding(s) computed before the interruption to '{Path}'.", computedKeys.Count, path);
                }
                catch (Exception writeError)
                {
                    // The original failure matters more; report this one and let that one propagate.
                    logger?.LogError(writeError, "Could not save the partial teacher-embedding cache '{Path}'.", path);
                }
            }
            foreach (var t in computed) t.Dispose();
            existing?.Embeddings.Dispose();
            throw;
        }

        var all = Merge(existing?.Embeddings, computed, width ?? 0);
        foreach (var t in computed) t.Dispose();
        existing?.Embeddings.Dispose();
        List<string> allKeys = [.. cachedKeys, .. computedKeys];
        try
        {
            Write(path, identity, allKeys, all);
        }
        catch
        {
            all.Dispose();
            throw;
        }
        return new TeacherEmbeddingCache(path, identity, allKeys, all, status, staleReason);
    }

    /// <summary>
    /// <see cref="LoadOrBuild(string, TeacherCacheIdentity, IReadOnlyList{string}, Func{IReadOnlyList{string}, Tensor}, Func{Tensor, Tensor}, TeacherCacheOptions?, CancellationToken)"/>
    /// with a CLIP teacher: embeddings are <see cref="ClipModel.EncodeImage"/> (not L2-normalised). The model is used as
    /// it is (load it with <see cref="ClipModel.FromPretrained(ClipConfig, string, ClipLoadOptions?)"/>, which returns it in eval mode).
    /// </summary>
    /// <param name="path">The <c>.safetensors</c> cache file.</param>
    /// <param name="identity">The teacher, its weights hash and the preprocessing.</param>
    /// <param name="keys">Example keys.</param>
    /// <param name="loadImages">Loads preprocessed images <c>[n, 3, ImageSize, ImageSize]</c> for a batch of keys.</param>
    /// <param name="teacher">The CLIP teacher.</param>
    /// <param name="options">Batch size, progress, logging; null for defaults.</param>
    /// <param name="cancellationToken">Stops after the current batch.</param>
    /// <returns>The cache.</returns>
    public static TeacherEmbeddingCache LoadOrBuild(
        string path,
        TeacherCacheIdentity identity,
        IReadOnlyList<string> keys,
        Func<IReadOnlyList<string>, Tensor> loadImages,
        ClipModel teacher,
        TeacherCacheOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        return LoadOrBuild(path, identity, keys, loadImages, teacher.EncodeImage, options, cancellationToken);
    }

    /// <summary>Opens an existing cache without computing anything.</summary>
    /// <param name="path">The cache file.</param>
    /// <param name="identity">The expected teacher identity.</param>
    /// <param name="staleReason">Why the file cannot be used (absent, unreadable, other teacher); null when it can.</param>
    /// <returns>The cache (<see cref="TeacherCacheStatus.Hit"/>), or null when the file is absent, unreadable or stale.</returns>
    public static TeacherEmbeddingCache? TryOpen(string path, TeacherCacheIdentity identity, out string? staleReason)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(identity);
        var (existing, reason) = TryRead(path, identity);
        staleReason = existing is null ? reason ?? $"'{path}' does not exist." : null;
        return existing is { } e ? new TeacherEmbeddingCache(path, identity, e.Keys, e.Embeddings, TeacherCacheStatus.Hit, null) : null;
    }

    /// <summary>Releases the embeddings.</summary>
    public void Dispose() => _embeddings.Dispose();

    private static List<string> DistinctKeys(IReadOnlyList<string> keys)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(keys.Count);
        for (int i = 0; i < keys.Count; i++)
        {
            if (string.IsNullOrEmpty(keys[i])) throw new ArgumentException($"Key #{i} is null or empty; every example needs a key (its path, for example).", nameof(keys));
            if (seen.Add(keys[i])) result.Add(keys[i]);
        }
        return result;
    }

    private static Tensor EmbedBatch(List<string> batchKeys, Func<IReadOnlyList<string>, Tensor> loadImages, Func<Tensor, Tensor> teacher, ref long? width)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var images = loadImages(batchKeys) ?? throw new InvalidOperationException("The image loader returned null.");
        if (images.Dimensions < 1 || images.shape[0] != batchKeys.Count)
            throw new InvalidOperationException($"The image loader returned [{string.Join(", ", images.shape)}] for {batchKeys.Count} keys (first: '{batchKeys[0]}'); expected one image per key.");
        var embeddings = teacher(images) ?? throw new InvalidOperationException("The teacher returned null.");
        if (embeddings.Dimensions != 2 || embeddings.shape[0] != batchKeys.Count || !embeddings.is_floating_point())
            throw new InvalidOperationException($"The teacher returned [{string.Join(", ", embeddings.shape)}] ({embeddings.dtype}) for {batchKeys.Count} images; expected a floating-point [{batchKeys.Count}, D] matrix.");
        if (width is { } d && embeddings.shape[1] != d)
            throw new InvalidOperationException($"The teacher returned {embeddings.shape[1]}-d embeddings but the cache holds {d}-d ones (first key: '{batchKeys[0]}').");
        width = embeddings.shape[1];
        return scope.MoveToOuter(embeddings.to(ScalarType.Float32, CPU).contiguous());
    }

    private static Tensor Merge(Tensor? existing, List<Tensor> computed, long width = 0)
    {
        // Inference tensors turn into normal tensors here (cat outside inference mode), so users may train on them.
        var parts = new List<Tensor>(computed.Count + 1);
        if (existing is not null) parts.Add(existing);
        parts.AddRange(computed);
        return parts.Count == 0 ? zeros(0, width, ScalarType.Float32) : cat(parts, 0);
    }

    private static void Write(string path, TeacherCacheIdentity identity, IReadOnlyList<string> keys, Tensor embeddings)
    {
        string? folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["teacher"] = identity.Teacher,
            ["teacher_hash"] = identity.WeightsHash,
            ["preprocessing"] = identity.Preprocessing,
            ["keys"] = JsonSerializer.Serialize(keys),
        };
        SafeTensors.Save(path, new Dictionary<string, Tensor> { [EmbeddingsKey] = embeddings }, metadata);
    }

    /// <summary>Reads a cache file; returns (null, null) when absent, (null, reason) when unusable.</summary>
    private static ((List<string> Keys, Tensor Embeddings)? Cache, string? StaleReason) TryRead(string path, TeacherCacheIdentity identity)
    {
        if (!File.Exists(path)) return (null, null);
        IReadOnlyDictionary<string, string> metadata;
        try
        {
            metadata = SafeTensors.ReadMetadata(path);
        }
        catch (Exception e) when (e is SafeTensorsFormatException or IOException)
        {
            return (null, $"the file is unreadable ({e.Message}).");
        }

        string? Field(string name) => metadata.TryGetValue(name, out string? value) ? value : null;
        if (Field("format") != FormatName) return (null, $"it is not a teacher-embedding cache (format '{Field("format")}').");
        if (Field("format_version") != FormatVersion.ToString(CultureInfo.InvariantCulture))
            return (null, $"it has format version '{Field("format_version")}', this EdSam reads version {FormatVersion}.");
        var differences = new List<string>();
        if (Field("teacher") != identity.Teacher) differences.Add($"teacher '{Field("teacher")}' ≠ '{identity.Teacher}'");
        if (Field("teacher_hash") != identity.WeightsHash) differences.Add($"weights hash '{Field("teacher_hash")}' ≠ '{identity.WeightsHash}'");
        if (Field("preprocessing") != identity.Preprocessing) differences.Add($"preprocessing '{Field("preprocessing")}' ≠ '{identity.Preprocessing}'");
        if (differences.Count > 0) return (null, "it was made by another teacher: " + string.Join("; ", differences) + ".");

        List<string>? keys;
        try
        {
            keys = JsonSerializer.Deserialize<List<string>>(Field("keys") ?? "null");
        }
        catch (JsonException e)
        {
            return (null, $"its key list is corrupt ({e.Message}).");
        }
        if (keys is null || keys.Any(string.IsNullOrEmpty) || keys.Distinct(StringComparer.Ordinal).Count() != keys.Count)
            return (null, "its key list is missing, has an empty key or repeats a key.");

        Dictionary<string, Tensor> tensors;
        try
        {
            tensors = SafeTensors.Load(path);
        }
        catch (Exception e) when (e is SafeTensorsFormatException or IOException)
        {
            return (null, $"the file is unreadable ({e.Message}).");
        }
        if (tensors.Count != 1 || !tensors.TryGetValue(EmbeddingsKey, out var embeddings)
            || embeddings.dtype != ScalarType.Float32 || embeddings.Dimensions != 2 || embeddings.shape[0] != keys.Count)
        {
            foreach (var t in tensors.Values) t.Dispose();
            return (null, $"its tensors do not match its key list (expected one float32 '{EmbeddingsKey}' [{keys.Count}, D]).");
        }
        return ((keys, embeddings), null);
    }
}
