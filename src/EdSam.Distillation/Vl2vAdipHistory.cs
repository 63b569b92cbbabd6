namespace EdSam.Distillation;

/// <summary>One evaluation on the source-domain validation split during training.</summary>
/// <param name="Stage">The stage: <c>"align"</c>, <c>"distill"</c>, <c>"erm"</c> or <c>"kd"</c>.</param>
/// <param name="Step">Optimisation steps completed in the stage.</param>
/// <param name="ValidationAccuracy">Top-1 accuracy on the validation split, averaged over the source domains, in [0, 1] (model selection).</param>
/// <param name="ValidationLoss">Cross-entropy of the model's class logits (100·cos for the distilled models) on the un-augmented validation
/// split, averaged over the source domains: the SWAD signal, as in DomainBed/SWAD and the official VL2V-ADiP code.</param>
/// <param name="ValidationDistillationLoss">The VL2V loss λ·(−cos(z, I(x))) + (1−λ)·(−cos(z, T_y)) on the validation split (how closely the
/// student follows the teacher); null for ERM and KD.</param>
public sealed record Vl2vAdipEvaluation(string Stage, long Step, double ValidationAccuracy, double ValidationLoss, double? ValidationDistillationLoss = null);

/// <summary>What SWAD did in one stage.</summary>
/// <param name="Stage">The stage name.</param>
/// <param name="StartStep">First step of the averaging window (t_s's segment); null when no loss valley was found.</param>
/// <param name="EndStep">Last step of the window; null when none was found.</param>
/// <param name="AveragedSteps">Number of weight snapshots averaged.</param>
/// <param name="ValidationAccuracy">Validation accuracy of the averaged weights; null when nothing was averaged.</param>
/// <param name="BestStep">The step of the best single checkpoint by validation accuracy.</param>
/// <param name="BestValidationAccuracy">Its validation accuracy.</param>
/// <param name="Used">Which weights the stage ended with: <c>"swad"</c> or <c>"best"</c>.</param>
public sealed record Vl2vAdipStageSummary(
    string Stage, long? StartStep, long? EndStep, long AveragedSteps, double? ValidationAccuracy,
    long BestStep, double BestValidationAccuracy, string Used);

/// <summary>The training history of a <see cref="Vl2vAdipModel"/>.</summary>
/// <param name="Evaluations">Every validation evaluation, in order (all stages).</param>
/// <param name="Stages">One summary per stage (SWAD window, best checkpoint, which was kept).</param>
public sealed record Vl2vAdipHistory(IReadOnlyList<Vl2vAdipEvaluation> Evaluations, IReadOnlyList<Vl2vAdipStageSummary> Stages)
{
    /// <summary>An empty history (a model built without training).</summary>
    public static Vl2vAdipHistory Empty { get; } = new([], []);
}

