using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>
/// The uniform average of snapshots of a module's weights (stochastic weight averaging; SWAD's dense averaging):
/// <see cref="Add(TorchSharp.torch.nn.Module)"/> a snapshot after each step inside the averaging window, then <see cref="CopyTo"/> the mean into a
/// module. Every floating-point entry of <c>state_dict()</c> (parameters and floating buffers) is averaged; integer
/// buffers take the last snapshot's value.
/// </summary>
/// <remarks>
/// The sum is accumulated in float64 and divided once in <see cref="CopyTo"/>, so the result equals the mean of the
/// snapshots to float64 rounding, whatever their number. BatchNorm statistics are averaged like weights; recompute
/// them on training data afterwards if the network uses BatchNorm and exact statistics matter.
/// </remarks>
public sealed class WeightAverager : ICheckpointState, IDisposable
{
    private const string CountKey = "__count__";
    private readonly Dictionary<string, Tensor> _sum = new(StringComparer.Ordinal);
    private Tensor? _countTensor;
    private bool _disposed;

    /// <summary>The number of snapshots averaged so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds a snapshot of <paramref name="module"/>'s current weights to the average.</summary>
    /// <exception cref="ArgumentException">The module's state dict differs in keys or shapes from earlier snapshots.</exception>
    public void Add(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        if (_sum.Count == 0)
        {
            foreach (var (key, tensor) in module.state_dict())
                _sum[key] = (tensor.is_floating_point() ? tensor.detach().to_type(ScalarType.Float64, copy: true) : tensor.detach().clone()).DetachFromDisposeScope();
        }
        else
        {
            var current = ModuleTensors.Matching(module, _sum, nameof(WeightAverager));
            foreach (var (key, sum) in _sum)
            {
                if (sum.is_floating_point())
                {
                    sum.add_(current[key].detach().to_type(ScalarType.Float64));
                }
                else
                {
                    sum.copy_(current[key]);
                }
            }
        }
        Count++;
    }

    /// <summary>Merges the snapshots of <paramref name="other"/> into this average (as if each had been added here).</summary>
    /// <param name="other">Another averager over the same architecture; unchanged.</param>
    /// <exception cref="ArgumentException">The two hold different keys or shapes.</exception>
    public void Add(WeightAverager other)
    {
        ArgumentNullException.ThrowIfNull(other);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (other.Count == 0) return;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        if (_sum.Count == 0)
        {
            foreach (var (key, tensor) in other._sum) _sum[key] = tensor.clone().DetachFromDisposeScope();
        }
        else
        {
            ModuleTensors.CheckLoad(_sum, other._sum, nameof(WeightAverager));
            foreach (var (key, sum) in _sum)
            {
                if (sum.is_floating_point()) sum.add_(other._sum[key]);
                else sum.copy_(other._sum[key]);
            }
        }
        Count += other.Count;
    }

    /// <summary>Writes the mean of all snapshots into <paramref name="module"/> (converted to its dtypes).</summary>
    /// <exception cref="InvalidOperationException">No snapshot was added.</exception>
    /// <exception cref="ArgumentException">The module's state dict differs in keys or shapes.</exception>
    public void CopyTo(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Count == 0) throw new InvalidOperationException("WeightAverager.CopyTo needs at least one snapshot: call Add(module) first.");
        var target = ModuleTensors.Matching(module, _sum, nameof(WeightAverager));
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var (key, sum) in _sum)
        {
            if (sum.is_floating_point())
            {
                target[key].copy_(sum / Count);
            }
            else
            {
                target[key].copy_(sum);
            }
        }
    }

    /// <summary>Forgets every snapshot (for example when a new averaging window starts).</summary>
    public void Reset()
    {
        foreach (var tensor in _sum.Values) tensor.Dispose();
        _sum.Clear();
        Count = 0;
    }

    /// <summary>The float64 sums and the snapshot count, for checkpoints (owned by the averager).</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var state = new Dictionary<string, Tensor>(_sum, StringComparer.Ordinal);
        _countTensor?.Dispose();
        _countTensor = torch.tensor(Count).DetachFromDisposeScope();
        state[CountKey] = _countTensor;
        return state;
    }

    /// <summary>Restores sums and count from <see cref="StateDict"/> output; an empty averager accepts any saved keys.</summary>
    /// <exception cref="ArgumentException">The count is missing, or keys/shapes differ from the snapshots already held.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!stateDict.TryGetValue(CountKey, out var countTensor))
            throw new ArgumentException($"{nameof(WeightAverager)}: the state lacks '{CountKey}'.", nameof(stateDict));
        if (_sum.Count > 0)
        {
            var expected = new Dictionary<string, Tensor>(_sum, StringComparer.Ordinal) { [CountKey] = countTensor };
            ModuleTensors.CheckLoad(expected, stateDict, nameof(WeightAverager));
        }
        Reset();
        using var scope = torch.NewDisposeScope();
        foreach (var (key, tensor) in stateDict)
            if (key != CountKey) _sum[key] = tensor.detach().clone().DetachFromDisposeScope();
        Count = countTensor.to_type(ScalarType.Int64).item<long>();
    }

    /// <summary>Frees the accumulated tensors.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Reset();
        _countTensor?.Dispose();
        _disposed = true;
    }
}
