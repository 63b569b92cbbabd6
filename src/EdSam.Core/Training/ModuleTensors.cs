using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>Shared helpers for classes that keep copies of a module's <c>state_dict()</c> (EMA, weight averaging).</summary>
internal static class ModuleTensors
{
    /// <summary>Checks that <paramref name="module"/>'s state dict has exactly the keys and shapes of <paramref name="reference"/>.</summary>
    public static Dictionary<string, Tensor> Matching(nn.Module module, IReadOnlyDictionary<string, Tensor> reference, string owner)
    {
        var current = module.state_dict();
        var missing = reference.Keys.Where(k => !current.ContainsKey(k)).ToList();
        var unexpected = current.Keys.Where(k => !reference.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new ArgumentException($"{owner}: the module's state dict differs from the one it was created for " +
                                        $"(missing [{string.Join(", ", missing.Take(10))}], unexpected [{string.Join(", ", unexpected.Take(10))}]).");
        foreach (var (key, tensor) in current)
            if (!tensor.shape.SequenceEqual(reference[key].shape))
                throw new ArgumentException($"{owner}: '{key}' has shape [{string.Join(", ", tensor.shape)}], expected [{string.Join(", ", reference[key].shape)}].");
        return current;
    }

    /// <summary>Checks a loaded state dictionary against the expected keys and shapes before anything is copied.</summary>
    public static void CheckLoad(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> loaded, string owner)
    {
        var missing = expected.Keys.Where(k => !loaded.ContainsKey(k)).ToList();
        var unexpected = loaded.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new ArgumentException($"{owner}: missing keys [{string.Join(", ", missing.Take(10))}], unexpected keys [{string.Join(", ", unexpected.Take(10))}].");
        foreach (var (key, tensor) in expected)
            if (!loaded[key].shape.SequenceEqual(tensor.shape))
                throw new ArgumentException($"{owner}: '{key}' has shape [{string.Join(", ", loaded[key].shape)}], expected [{string.Join(", ", tensor.shape)}].");
    }
}
