using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>
/// Something besides modules and the optimiser whose tensors belong in a checkpoint (for example an
/// <see cref="ExponentialMovingAverage"/> or a <see cref="WeightAverager"/>). <see cref="CheckpointManager"/> saves
/// <see cref="StateDict"/> as <c>&lt;name&gt;.safetensors</c> and hands the loaded tensors back to
/// <see cref="LoadStateDict"/>.
/// </summary>
public interface ICheckpointState
{
    /// <summary>The tensors to save, by key. The tensors stay owned by the implementer (the caller does not dispose them).</summary>
    IReadOnlyDictionary<string, Tensor> StateDict();

    /// <summary>Restores the state from tensors previously returned by <see cref="StateDict"/> (copied; the caller keeps ownership).</summary>
    /// <exception cref="ArgumentException">A key is missing or unexpected, or a shape does not match.</exception>
    void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict);
}
