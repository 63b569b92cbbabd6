using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>
/// SWAD's dense weight averaging over the loss valley (Cha et al., NeurIPS 2021): add a snapshot of the weights after
/// every optimiser step, report each validation loss, and the average covers exactly the iterations of the evaluation
/// segments inside the <see cref="SwadWindow"/>.
/// </summary>
/// <remarks>
/// Segment i holds the snapshots added after evaluation i−1 and up to evaluation i. Since the window's start and end are
/// known only a few evaluations late, the last segments are kept pending (one float64 copy of the weights each, at most
/// about N_s + N_e) and committed or dropped as the window decides. After <see cref="SwadPhase.Finished"/> snapshots are
/// ignored: training may stop. Save in a checkpoint through <see cref="CheckpointContents.States"/>; the window is rebuilt
/// from the saved losses.
/// <para>When training ends inside the valley, the committed average already follows SWAD's end-of-training rule
/// (add the remaining segments until the first one above the threshold): every still-pending segment lies after the last
/// evaluation below the threshold, so none of them qualifies.</para>
/// </remarks>
public sealed class SwadAverager : ICheckpointState, IDisposable
{
    private const string LossesKey = "window.losses";
    private WeightAverager _current = new();
    private readonly SortedDictionary<int, WeightAverager> _pending = [];
    private readonly WeightAverager _final = new();
    private Tensor? _lossesTensor;
    private bool _disposed;

    /// <summary>Creates the averager.</summary>
    /// <param name="options">The window's options; SWAD's defaults when null.</param>
    public SwadAverager(SwadWindowOptions? options = null)
    {
        Window = new SwadWindow(options);
    }

    /// <summary>The loss-valley detector driven by <see cref="Evaluate"/>.</summary>
    public SwadWindow Window { get; private set; }

    /// <summary>The number of snapshots in the committed average.</summary>
    public long Count => _final.Count;

    /// <summary>Whether the valley has ended (further snapshots are ignored).</summary>
    public bool IsFinished => Window.Phase == SwadPhase.Finished;

    /// <summary>Adds a snapshot of <paramref name="module"/>'s weights to the current segment (call after each optimiser step).</summary>
    public void AddSnapshot(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsFinished) _current.Add(module);
    }

    /// <summary>Closes the current segment with its validation loss and commits or drops pending segments.</summary>
    /// <param name="validationLoss">The validation loss at the end of the segment; finite.</param>
    /// <returns>The window's phase after this evaluation.</returns>
    public SwadPhase Evaluate(double validationLoss)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsFinished) return SwadPhase.Finished;
        int index = Window.Losses.Count;
        Window.Observe(validationLoss);
        _pending[index] = _current;
        _current = new WeightAverager();
        Settle();
        return Window.Phase;
    }

    /// <summary>Writes the committed average into <paramref name="module"/> when there is one.</summary>
    /// <returns>False (module untouched) when no loss valley was found yet.</returns>
    public bool TryCopyTo(nn.Module module)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_final.Count == 0) return false;
        _final.CopyTo(module);
        return true;
    }

    /// <summary>Writes the committed average into <paramref name="module"/>.</summary>
    /// <exception cref="InvalidOperationException">Nothing has been committed yet (the valley has not started, or started without snapshots).</exception>
    public void CopyTo(nn.Module module)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_final.Count == 0)
            throw new InvalidOperationException($"SWAD has no averaged weights yet (window phase: {Window.Phase}); keep training and evaluating until the loss converges.");
        _final.CopyTo(module);
    }

    private void Settle()
    {
        int limit = Window.Phase switch
        {
            // Evaluation i can still become the start only while its N_s look-ahead is incomplete.
            SwadPhase.Searching => Window.Losses.Count - Window.Options.ConvergeCount + 1,
            _ => Window.ConfirmedEnd!.Value,
        };
        foreach (int index in _pending.Keys.Where(i => i < limit || IsFinished).ToList())
        {
            var segment = _pending[index];
            if (Window.IsInWindow(index)) _final.Add(segment);
            segment.Dispose();
            _pending.Remove(index);
        }
    }

    /// <summary>The losses, the committed average, the pending and the open segment (all owned by the averager).</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        _lossesTensor?.Dispose();
        _lossesTensor = torch.tensor(Window.Losses.ToArray(), ScalarType.Float64).DetachFromDisposeScope();
        state[LossesKey] = _lossesTensor;
        void AddAll(string prefix, WeightAverager averager)
        {
            foreach (var (key, tensor) in averager.StateDict()) state[prefix + key] = tensor;
        }
        AddAll("final.", _final);
        AddAll("current.", _current);
        foreach (var (index, segment) in _pending) AddAll($"pending.{index}.", segment);
        return state;
    }

    /// <summary>Restores from <see cref="StateDict"/> output; the window is rebuilt by replaying the saved losses.</summary>
    /// <exception cref="ArgumentException">The state is malformed.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!stateDict.TryGetValue(LossesKey, out var losses))
            throw new ArgumentException($"{nameof(SwadAverager)}: the state lacks '{LossesKey}'.", nameof(stateDict));
        var window = new SwadWindow(Window.Options);
        using (var asDouble = losses.to_type(ScalarType.Float64))
            foreach (double loss in asDouble.data<double>().ToArray()) window.Observe(loss);

        Dictionary<string, Tensor> Part(string prefix) => stateDict
            .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        var pendingIndices = stateDict.Keys
            .Where(k => k.StartsWith("pending.", StringComparison.Ordinal))
            .Select(k => k.Split('.')[1])
            .Distinct()
            .Select(s => int.TryParse(s, out int i) ? i : throw new ArgumentException($"{nameof(SwadAverager)}: bad pending segment key '{s}'.", nameof(stateDict)))
            .ToList();

        var final = new WeightAverager();
        var current = new WeightAverager();
        var pending = new SortedDictionary<int, WeightAverager>();
        try
        {
            final.LoadStateDict(Part("final."));
            current.LoadStateDict(Part("current."));
            foreach (int index in pendingIndices)
            {
                var segment = new WeightAverager();
                pending[index] = segment;
                segment.LoadStateDict(Part($"pending.{index}."));
            }
        }
        catch
        {
            final.Dispose();
            current.Dispose();
            foreach (var segment in pending.Values) segment.Dispose();
            throw;
        }

        DisposeSegments();
        Window = window;
        _final.Reset();
        _final.Add(final);
        final.Dispose();
        _current = current;
        foreach (var (index, segment) in pending) _pending[index] = segment;
    }

    private void DisposeSegments()
    {
        _current.Dispose();
        foreach (var segment in _pending.Values) segment.Dispose();
        _pending.Clear();
    }

    /// <summary>Frees every held copy of the weights.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeSegments();
        _final.Dispose();
        _lossesTensor?.Dispose();
    }
}
