using EdSam.IO;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Models;

/// <summary>Saving a module's weights to safetensors and a strict load that reports every incompatible key.</summary>
internal static class StateDicts
{
    public static void Save(nn.Module module, string path)
    {
        using var scope = NewDisposeScope();
        var tensors = module.state_dict().ToDictionary(e => e.Key, e => e.Value.detach().cpu().contiguous());
        SafeTensors.Save(path, tensors);
    }

    /// <exception cref="CheckpointMismatchException">Keys are missing, unexpected or mis-shaped (nothing is copied then).</exception>
    public static void LoadStrict(nn.Module module, string path, string modelName)
    {
        var stateDict = SafeTensors.Load(path);
        try { LoadStrict(module, stateDict, path, modelName); }
        finally { foreach (var tensor in stateDict.Values) tensor.Dispose(); }
    }

    /// <exception cref="CheckpointMismatchException">Keys are missing, unexpected or mis-shaped (nothing is copied then).</exception>
    public static void LoadStrict(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, string source, string modelName)
    {
        var expected = module.state_dict();
        var missing = expected.Keys.Where(k => !stateDict.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = stateDict.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var mismatched = expected
            .Where(e => stateDict.TryGetValue(e.Key, out var t) && !t.shape.SequenceEqual(e.Value.shape))
            .Select(e => $"{e.Key}: file [{string.Join(", ", stateDict[e.Key].shape)}] vs model [{string.Join(", ", e.Value.shape)}]")
            .Order(StringComparer.Ordinal)
            .ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
            throw new CheckpointMismatchException(source, modelName, missing, unexpected, mismatched);
        using var _ = no_grad();
        foreach (var (key, target) in expected) target.copy_(stateDict[key]);
    }
}
