using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation.Students;

/// <summary>
/// Strict state-dict loading for any TorchSharp module: either every key matches by name and shape and all tensors are
/// copied, or nothing is copied and one <see cref="StateDictMismatchException"/> lists every missing, unexpected and
/// mis-shaped key. Generalises <c>EdSam.Clip.ClipCheckpointLoader.LoadStrict</c> (which is tied to <c>ClipModel</c>)
/// with ignored prefixes (classification heads) and optional keys (<c>num_batches_tracked</c>).
/// </summary>
public static class StrictStateDictLoader
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
    public static StateDictLoadReport Load(Module module, IReadOnlyDictionary<string, Tensor> stateDict, string source, IReadOnlyCollection<string>? ignoredPrefixes = null)
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
}
