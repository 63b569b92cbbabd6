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
        foreach (var (key, tensor) in module.state_dict()) _tensors[key] = tensor.detach().clone().DetachFromDisposeScope();
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
        foreach (var (key, tensor) in stateDict) _tensors[key] = tensor.detach().clone().DetachFromDisposeScope();
    }

    private void Clear()
    {
        foreach (var tensor in _tensors.Values) tensor.Dispose();
        _tensors.Clear();
    }

    public void Dispose() => Clear();
}
