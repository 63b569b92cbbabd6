using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>
/// An exponential moving average of a module's weights (the EMA model of DDPM/diffusers and timm's ModelEmaV2):
/// after each optimiser step, <c>shadow ← decay·shadow + (1−decay)·weight</c> for every floating-point entry of the
/// module's <c>state_dict()</c> (parameters and floating buffers such as BatchNorm running statistics); integer buffers
/// (<c>num_batches_tracked</c>) are copied. Evaluate or export with <see cref="CopyTo"/>.
/// </summary>
/// <remarks>Shadows live on the module's device, in its dtypes. Save with a <see cref="CheckpointManager"/> by listing the
/// EMA in <see cref="CheckpointContents.States"/>. Dispose to free the shadows.</remarks>
public sealed class ExponentialMovingAverage : ICheckpointState, IDisposable
{
    private const string UpdatesKey = "__num_updates__";
    private readonly Dictionary<string, Tensor> _shadow = new(StringComparer.Ordinal);
    private long _updates;

    /// <summary>Creates the average, initialised to a copy of <paramref name="module"/>'s current weights.</summary>
    /// <param name="module">The module being trained.</param>
    /// <param name="decay">The weight of the old average per update, in [0, 1) (0.9999 is the DDPM value; 0.999 for short runs).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decay"/> is outside [0, 1).</exception>
    public ExponentialMovingAverage(nn.Module module, double decay)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!(decay >= 0 && decay < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The EMA decay must be in [0, 1).");
        Decay = decay;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var (key, tensor) in module.state_dict())
            _shadow[key] = tensor.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>The decay per update.</summary>
    public double Decay { get; }

    /// <summary>How many times <see cref="Update"/> has run (restored from checkpoints).</summary>
    public long UpdateCount => _updates;

    /// <summary>Moves the average towards <paramref name="module"/>'s current weights: <c>shadow ← decay·shadow + (1−decay)·weight</c>.</summary>
    /// <param name="module">The trained module (same architecture as at construction).</param>
    /// <exception cref="ArgumentException">The module's state dict has other keys or shapes.</exception>
    public void Update(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var current = ModuleTensors.Matching(module, _shadow, nameof(ExponentialMovingAverage));
        using var noGrad = torch.no_grad();
        foreach (var (key, shadow) in _shadow)
        {
            if (shadow.is_floating_point()) shadow.mul_(Decay).add_(current[key], alpha: 1 - Decay);
            else shadow.copy_(current[key]);
        }
        _updates++;
    }

    /// <summary>Copies the averaged weights into <paramref name="module"/> (for evaluation or export).</summary>
    /// <exception cref="ArgumentException">The module's state dict has other keys or shapes.</exception>
    public void CopyTo(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var target = ModuleTensors.Matching(module, _shadow, nameof(ExponentialMovingAverage));
        using var noGrad = torch.no_grad();
        foreach (var (key, shadow) in _shadow) target[key].copy_(shadow);
    }

    /// <summary>The shadow weights (owned by the EMA) and the update count, for checkpoints.</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var state = new Dictionary<string, Tensor>(_shadow, StringComparer.Ordinal);
        _updatesTensor?.Dispose();
        _updatesTensor = torch.tensor(_updates).DetachFromDisposeScope();
        state[UpdatesKey] = _updatesTensor;
        return state;
    }

    /// <summary>Restores shadows and update count from <see cref="StateDict"/> output.</summary>
    /// <exception cref="ArgumentException">Keys or shapes differ; nothing is changed.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var expected = new Dictionary<string, Tensor>(_shadow, StringComparer.Ordinal);
        using var count = torch.tensor(0L);
        expected[UpdatesKey] = count;
        ModuleTensors.CheckLoad(expected, stateDict, nameof(ExponentialMovingAverage));
        using var noGrad = torch.no_grad();
        foreach (var (key, shadow) in _shadow) shadow.copy_(stateDict[key]);
        using var updates = stateDict[UpdatesKey].to_type(ScalarType.Int64);
        _updates = updates.item<long>();
    }

    private Tensor? _updatesTensor;
    private bool _disposed;

    /// <summary>Frees the shadow tensors.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var tensor in _shadow.Values) tensor.Dispose();
        _shadow.Clear();
        _updatesTensor?.Dispose();
    }
}
