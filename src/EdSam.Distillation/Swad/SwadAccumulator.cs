using EdSam.Training;
using static TorchSharp.torch;

namespace EdSam.Distillation.Swad;

/// <summary>
/// SWAD's dense averaging driven by <see cref="SwadWindow"/>: the weights after every step are added to the running
/// segment (the steps since the previous evaluation); at each evaluation the segment is closed and labelled with that
/// evaluation's index. Segments inside the loss valley [t_s, t_e) are merged into the final average once the window
/// confirms them; segments that can no longer be in the window are dropped, so only a few segments (≤ N_s + N_e) are
/// ever held.
/// </summary>
/// <remarks>
/// Memory: each held segment is a float64 copy of the averaged module. The whole state (every segment and the merged
/// average) is one <see cref="ICheckpointState"/>, so a resumed run averages exactly the same weights; the loss history
/// is restored with <see cref="RestoreLosses"/> from the trainer's JSON state.
/// </remarks>
internal sealed class SwadAccumulator : ICheckpointState, IDisposable
{
    private const string CountKey = "__count__";
    private SwadWindow _window;
    private readonly SwadWindowOptions _options;
    private WeightAverager _current = new();
    private WeightAverager _committed = new();
    private readonly SortedDictionary<int, WeightAverager> _pending = [];

    public SwadAccumulator(SwadWindowOptions options)
    {
        _options = options;
        _window = new SwadWindow(options);
    }

    /// <summary>The loss-valley detector.</summary>
    public SwadWindow Window => _window;

    /// <summary>Steps merged into the final average so far (confirmed segments only).</summary>
    public long CommittedSteps => _committed.Count;

    /// <summary>Adds the weights after one optimisation step to the current segment.</summary>
    public void AddStep(nn.Module module) => _current.Add(module);

    /// <summary>Closes the current segment with this evaluation's validation loss and advances the window.</summary>
    public void OnEvaluation(double validationLoss)
    {
        int index = _window.Losses.Count;
        _window.Observe(validationLoss);
        _pending[index] = _current;
        _current = new WeightAverager();
        Settle();
    }

    /// <summary>Rebuilds the window from the losses of a checkpoint (the segments come from <see cref="LoadStateDict"/>).</summary>
    public void RestoreLosses(IEnumerable<double> losses)
    {
        _window = new SwadWindow(_options);
        foreach (double loss in losses) _window.Observe(loss);
    }

    /// <summary>Steps that the final average would hold now (confirmed plus still-open segments inside the window).</summary>
    public long AveragedSteps => _committed.Count + PendingInWindow().Sum(s => s.Count);

    /// <summary>
    /// Writes the SWAD average into <paramref name="module"/>: the confirmed window, plus — when training ended inside the
    /// valley — the still-unconfirmed segments from t_s on (as SWAD does at the end of training).
    /// </summary>
    /// <returns>False (module untouched) when no loss valley was found.</returns>
    public bool TryCopyAverageTo(nn.Module module)
    {
        if (_window.Start is null) return false;
        using var merged = new WeightAverager();
        Merge(merged, _committed);
        foreach (var segment in PendingInWindow()) Merge(merged, segment);
        if (merged.Count == 0) return false;
        merged.CopyTo(module);
        return true;
    }

    private IEnumerable<WeightAverager> PendingInWindow() =>
        _pending.Where(p => _window.IsInWindow(p.Key)).Select(p => p.Value);

    private void Settle()
    {
        int last = _window.Losses.Count - 1;
        foreach (int index in _pending.Keys.ToList())
        {
            bool drop;
            if (_window.Phase == SwadPhase.Searching)
            {
                // The next possible start is the evaluation N_s − 1 back from the one after this.
                drop = index < last - _options.ConvergeCount + 2;
            }
            else if (index < _window.Start!.Value)
            {
                drop = true;
            }
            else if (index < _window.ConfirmedEnd!.Value)
            {
                Merge(_committed, _pending[index]);
                drop = true;
            }
            else
            {
                drop = _window.Phase == SwadPhase.Finished;
            }
            if (!drop) continue;
            _pending[index].Dispose();
            _pending.Remove(index);
        }
    }

    /// <summary>target ← target ∪ source: float sums and counts add up; integer buffers take the newer value.</summary>
    private static void Merge(WeightAverager target, WeightAverager source)
    {
        if (source.Count == 0) return;
        var from = source.StateDict();
        if (target.Count == 0)
        {
            target.LoadStateDict(from);
            return;
        }
        var into = target.StateDict();
        using var scope = NewDisposeScope();
        var combined = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, sum) in into)
            combined[key] = key == CountKey || sum.is_floating_point() ? sum.add(from[key]) : from[key];
        target.LoadStateDict(combined);
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        void Put(string prefix, WeightAverager averager)
        {
            foreach (var (key, tensor) in averager.StateDict()) state[prefix + "/" + key] = tensor;
        }
        Put("current", _current);
        Put("committed", _committed);
        foreach (var (index, segment) in _pending) Put("segment" + index.ToString(System.Globalization.CultureInfo.InvariantCulture), segment);
        return state;
    }

    /// <inheritdoc />
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var groups = stateDict.GroupBy(p => p.Key[..p.Key.IndexOf('/', StringComparison.Ordinal)], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, Tensor>)g.ToDictionary(p => p.Key[(g.Key.Length + 1)..], p => p.Value, StringComparer.Ordinal));
        if (!groups.ContainsKey("current") || !groups.ContainsKey("committed"))
            throw new ArgumentException("SWAD state lacks the 'current' or 'committed' averages.", nameof(stateDict));
        ClearAll();
        _current = Restore(groups["current"]);
        _committed = Restore(groups["committed"]);
        foreach (var (name, tensors) in groups)
            if (name.StartsWith("segment", StringComparison.Ordinal))
                _pending[int.Parse(name["segment".Length..], System.Globalization.CultureInfo.InvariantCulture)] = Restore(tensors);
    }

    private static WeightAverager Restore(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var averager = new WeightAverager();
        averager.LoadStateDict(tensors);
        return averager;
    }

    private void ClearAll()
    {
        _current.Dispose();
        _committed.Dispose();
        foreach (var segment in _pending.Values) segment.Dispose();
        _pending.Clear();
    }

    public void Dispose() => ClearAll();
}
