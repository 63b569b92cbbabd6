using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.IO;

/// <summary>
/// A module's weights as a safetensors file, and the strict load every EdSam model uses (CLIP, UNet, VAE, students):
/// either every key matches by name and shape and all tensors are copied, or nothing is copied and one
/// <see cref="StateDictMismatchException"/> lists every missing, unexpected and mis-shaped key. Ignored prefixes
/// skip classification heads; BatchNorm's <c>num_batches_tracked</c> may be absent (pre-1.0 PyTorch checkpoints).
/// </summary>
public static class StateDicts
{
    /// <summary>The key suffix that may be absent from a checkpoint (BatchNorm's step counter, not a weight).</summary>
    public const string NumBatchesTrackedSuffix = "num_batches_tracked";

    /// <summary>Checks then copies <paramref name="stateDict"/> into <paramref name="module"/>.</summary>
    /// <param name="module">The module to fill (any device/dtype; values are converted on copy).</param>
    /// <param name="stateDict">Key → tensor, with the module's key names.</param>
    /// <param name="source">The checkpoint's name for messages (usually its path).</param>
    /// <param name="ignoredPrefixes">Keys starting with any of these are skipped on both sides (they keep the module's values).</param>
    /// <returns>What was loaded, ignored and defaulted.</returns>
    /// <exception cref="StateDictMismatchException">A key is missing, unexpected or mis-shaped; nothing was copied.</exception>
    public static StateDictLoadReport LoadStrict(Module module, IReadOnlyDictionary<string, Tensor> stateDict, string source, IReadOnlyCollection<string>? ignoredPrefixes = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(source);
        ignoredPrefixes ??= [];
        bool Ignored(string key) => ignoredPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));

        var expected = module.state_dict();
        var ignored = expected.Keys.Concat(stateDict.Keys).Where(Ignored).Distinct().Order(StringComparer.Ordinal).ToList();
        var missing = expected.Keys.Where(k => !Ignored(k) && !stateDict.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var defaulted = missing.Where(k => k.EndsWith(NumBatchesTrackedSuffix, StringComparison.Ordinal)).ToList();
        missing = missing.Except(defaulted).ToList();
        var unexpected = stateDict.Keys.Where(k => !Ignored(k) && !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var mismatched = expected
            .Where(e => !Ignored(e.Key) && stateDict.TryGetValue(e.Key, out var t) && !t.shape.SequenceEqual(e.Value.shape))
            .Select(e => $"{e.Key}: checkpoint [{string.Join(", ", stateDict[e.Key].shape)}] vs model [{string.Join(", ", e.Value.shape)}]")
            .Order(StringComparer.Ordinal)
            .ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
            throw new StateDictMismatchException(source, module.GetName(), missing, unexpected, mismatched);

        var loaded = new List<string>();
        using (no_grad())
        {
            foreach (var (key, target) in expected)
            {
                if (Ignored(key) || !stateDict.TryGetValue(key, out var value)) continue;
                target.copy_(value);
                loaded.Add(key);
            }
        }

        var notes = new List<string>();
        if (ignored.Count > 0) notes.Add($"Ignored {ignored.Count} key(s) under {string.Join(", ", ignoredPrefixes.Select(p => $"'{p}'"))}: {string.Join(", ", ignored)}.");
        if (defaulted.Count > 0) notes.Add($"{defaulted.Count} BatchNorm counter(s) absent from the checkpoint kept their value: {string.Join(", ", defaulted)}.");
        return new StateDictLoadReport(loaded, ignored, defaulted, notes);
    }

    /// <summary>Reads a safetensors file and loads it strictly into <paramref name="module"/>; the file's tensors are freed afterwards.</summary>
    /// <param name="module">The module to fill.</param>
    /// <param name="path">A <c>.safetensors</c> file with the module's key names.</param>
    /// <param name="ignoredPrefixes">Keys starting with any of these are skipped on both sides.</param>
    /// <exception cref="StateDictMismatchException">A key is missing, unexpected or mis-shaped; nothing was copied.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is not valid safetensors.</exception>
    public static StateDictLoadReport LoadStrict(Module module, string path, IReadOnlyCollection<string>? ignoredPrefixes = null)
    {
        var stateDict = SafeTensors.Load(path);
        try { return LoadStrict(module, stateDict, path, ignoredPrefixes); }
        finally { foreach (var tensor in stateDict.Values) tensor.Dispose(); }
    }

    /// <summary>Writes every parameter and buffer of <paramref name="module"/> to a safetensors file (atomically).</summary>
    /// <param name="module">The module to save.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="metadata">Optional string metadata stored in the header.</param>
    public static void Save(Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = NewDisposeScope();
        var tensors = module.state_dict().ToDictionary(e => e.Key, e => e.Value.detach().cpu().contiguous());
        SafeTensors.Save(path, tensors, metadata);
    }
}
