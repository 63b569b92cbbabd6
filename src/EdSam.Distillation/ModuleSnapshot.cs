using EdSam.Training;
using static TorchSharp.torch;

namespace EdSam.Distillation;

/// <summary>A copy of a module's <c>state_dict()</c> (the best-by-validation weights of a stage), checkpointed with it.</summary>
internal sealed class ModuleSnapshot : ICheckpointState, IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);

    public bool IsEmpty => _tensors.Count == 0;

    public void Capture(nn.Module module)
    {
        Clear();
        using var noGrad = no_grad();
        foreach (var (key, tensor) in module.state_dict()) _tensors[key] = Copy(tensor);
    }

    public void CopyTo(nn.Module module)
    {
        if (IsEmpty) throw new InvalidOperationException("No snapshot was captured.");
        using var noGrad = no_grad();
        foreach (var (key, target) in module.state_dict()) target.copy_(_tensors[key]);
    }

    public IReadOnlyDictionary<string, Tensor> StateDict() => _tensors;

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        Clear();
        foreach (var (key, tensor) in stateDict) _tensors[key] = Copy(tensor);
    }

    /// <summary>A detached copy owned by the snapshot (the intermediate <c>detach()</c> view is released at once).</summary>
    private static Tensor Copy(Tensor tensor)
    {
        using var detached = tensor.detach();
        return detached.clone().DetachFromDisposeScope();
    }

    private void Clear()
    {
        foreach (var tensor in _tensors.Values) tensor.Dispose();
        _tensors.Clear();
    }

    public void Dispose() => Clear();
}
