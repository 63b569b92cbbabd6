namespace EdSam.Training;

/// <summary>Options of <see cref="SwadWindow"/>; defaults are those of SWAD (Cha et al., NeurIPS 2021).</summary>
public sealed record SwadWindowOptions
{
    /// <summary>N_s: evaluations the loss must stay at or above the candidate start's loss for the valley to begin.</summary>
    /// <value>The default value is 3.</value>
    public int ConvergeCount { get; init; } = 3;

    /// <summary>N_e: consecutive evaluations above the threshold that end the valley.</summary>
    /// <value>The default value is 6.</value>
    public int ToleranceCount { get; init; } = 6;

    /// <summary>r − 1: the threshold is the start loss × (1 + ratio).</summary>
    /// <value>The default value is 0.3.</value>
    public double ToleranceRatio { get; init; } = 0.3;

    /// <summary>Checks every option and reports all errors at once.</summary>
    /// <exception cref="OptionsValidationException">One or more options are invalid; the message lists each.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public SwadWindowOptions Validate()
    {
        var errors = new List<string>();
        if (ConvergeCount < 1) errors.Add($"ConvergeCount must be at least 1 (was {ConvergeCount}).");
        if (ToleranceCount < 1) errors.Add($"ToleranceCount must be at least 1 (was {ToleranceCount}).");
        if (!double.IsFinite(ToleranceRatio) || ToleranceRatio < 0) errors.Add($"ToleranceRatio must be finite and ≥ 0 (was {ToleranceRatio}).");
        OptionsValidationException.ThrowIfAny("SwadWindowOptions", errors);
        return this;
    }
}

/// <summary>The phase of a <see cref="SwadWindow"/>.</summary>
public enum SwadPhase
{
    /// <summary>The validation loss has not converged yet; nothing is averaged.</summary>
    Searching,

    /// <summary>Inside the loss valley: weights from <see cref="SwadWindow.Start"/> on are averaged.</summary>
    Averaging,

    /// <summary>The valley ended at <see cref="SwadWindow.End"/>; averaging is over.</summary>
    Finished,
}

/// <summary>
/// Finds SWAD's averaging window from the validation losses observed during training ("loss valley" detection of
/// Cha et al., "SWAD: Domain Generalization by Seeking Flat Minima", NeurIPS 2021, Sec. 3.4 and Appendix).
/// </summary>
/// <remarks>
/// <para>Evaluations are numbered 0, 1, 2, … in the order of <see cref="Observe"/>; E(i) is the loss of evaluation i.
/// The rule implemented:</para>
/// <list type="bullet">
/// <item><b>Start</b> t_s = min{ i | E(i) = min(E(i), …, E(i+N_s−1)) }: the first evaluation whose loss is the minimum of
/// itself and the next N_s−1 evaluations (decided once those N_s evaluations are seen: "the first of the last N_s is
/// their minimum").</item>
/// <item><b>Threshold</b> = E(t_s) × (1 + ToleranceRatio), with E(t_s) the minimum loss at convergence (the paper's
/// r·E(t_s), r = 1.3 here by default as in the published code's tolerance ratio 0.3).</item>
/// <item><b>End</b> t_e = min{ i &gt; t_s | E(i), …, E(i+N_e−1) all exceed the threshold }: averaging stops when the last
/// N_e losses all exceed it; evaluations t_s ≤ i &lt; t_e are in the window.</item>
/// </list>
/// <para>Because the end is only known N_e evaluations late, trainers buffer the per-segment averages of the last few
/// evaluations and commit a segment once <see cref="ConfirmedEnd"/> passes it. The official implementation differs in
/// one detail: it bases the threshold on the mean of the N_s converging losses rather than on their minimum.</para>
/// </remarks>
public sealed class SwadWindow
{
    private readonly List<double> _losses = [];
    private int _lastBelowThreshold = -1;

    /// <summary>Creates the detector.</summary>
    /// <param name="options">N_s, N_e and the tolerance ratio; defaults when null.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public SwadWindow(SwadWindowOptions? options = null)
    {
        Options = options ?? new SwadWindowOptions();
        Options.Validate();
    }

    /// <summary>The options in use.</summary>
    public SwadWindowOptions Options { get; }

    /// <summary>The current phase.</summary>
    public SwadPhase Phase { get; private set; } = SwadPhase.Searching;

    /// <summary>The validation losses observed so far.</summary>
    public IReadOnlyList<double> Losses => _losses;

    /// <summary>t_s, the first evaluation inside the window; null while <see cref="SwadPhase.Searching"/>.</summary>
    public int? Start { get; private set; }

    /// <summary>t_e, the first evaluation after the window (exclusive end); null until <see cref="SwadPhase.Finished"/>.</summary>
    public int? End { get; private set; }

    /// <summary>E(t_s) × (1 + ToleranceRatio); null while searching.</summary>
    public double? Threshold { get; private set; }

    /// <summary>
    /// Evaluations with an index below this are decided: those in [<see cref="Start"/>, <see cref="ConfirmedEnd"/>) are
    /// certainly in the window. Null while searching; equals <see cref="End"/> when finished.
    /// </summary>
    public int? ConfirmedEnd => Phase switch
    {
        SwadPhase.Searching => null,
        SwadPhase.Finished => End,
        _ => _lastBelowThreshold + 1,
    };

    /// <summary>Whether evaluation <paramref name="index"/> is in the window as far as is known now.</summary>
    public bool IsInWindow(int index) => Start is int s && index >= s && (End is not int e || index < e);

    /// <summary>Records the validation loss of the next evaluation and advances the phase.</summary>
    /// <param name="validationLoss">The loss; must be finite (a NaN would make every comparison false).</param>
    /// <returns>The phase after this evaluation.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The loss is NaN or infinite.</exception>
    public SwadPhase Observe(double validationLoss)
    {
        if (!double.IsFinite(validationLoss))
            throw new ArgumentOutOfRangeException(nameof(validationLoss), validationLoss, "SWAD needs finite validation losses.");
        _losses.Add(validationLoss);
        int last = _losses.Count - 1;
        switch (Phase)
        {
            case SwadPhase.Searching:
                int candidate = last - Options.ConvergeCount + 1;
                if (candidate < 0) break;
                // Only the newest candidate needs checking: an earlier one was checked when its own window completed.
                double candidateLoss = _losses[candidate];
                bool isMinimum = true;
                for (int i = candidate + 1; i <= last; i++) isMinimum &= _losses[i] >= candidateLoss;
                if (!isMinimum) break;
                Start = candidate;
                Threshold = candidateLoss * (1 + Options.ToleranceRatio);
                Phase = SwadPhase.Averaging;
                _lastBelowThreshold = candidate;
                for (int i = candidate + 1; i <= last; i++) UpdateEnd(i);
                break;
            case SwadPhase.Averaging:
                UpdateEnd(last);
                break;
        }
        return Phase;
    }

    private void UpdateEnd(int index)
    {
        if (Phase != SwadPhase.Averaging) return;
        if (_losses[index] <= Threshold!.Value)
        {
            _lastBelowThreshold = index;
            return;
        }
        if (index - _lastBelowThreshold >= Options.ToleranceCount)
        {
            End = _lastBelowThreshold + 1;
            Phase = SwadPhase.Finished;
        }
    }
}
