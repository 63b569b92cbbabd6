namespace EdSam.Training;

/// <summary>
/// One progress report of a trainer, sent through <see cref="IProgress{T}"/> after each optimisation step (or
/// evaluation). Immutable, so a UI thread can keep it.
/// </summary>
/// <param name="Stage">What the trainer is doing, for example <c>"diffusion"</c>, <c>"clip"</c>, <c>"distill"</c> or <c>"eval"</c>.</param>
/// <param name="Step">The number of optimisation steps completed in this stage (1 after the first step).</param>
/// <param name="TotalSteps">The number of steps the stage will run in total.</param>
/// <param name="Loss">The training loss of the last step (the value minimised, not averaged).</param>
/// <param name="LearningRate">The learning rate used by the last step (first parameter group).</param>
/// <param name="Elapsed">Wall-clock time since the stage started (including time before a resume, when the trainer knows it).</param>
/// <param name="Metrics">Further named values (validation loss, accuracy, gradient norm, …); null when there are none.</param>
public sealed record TrainingProgress(
    string Stage,
    long Step,
    long TotalSteps,
    double Loss,
    double LearningRate,
    TimeSpan Elapsed,
    IReadOnlyDictionary<string, double>? Metrics = null)
{
    /// <summary>The completed fraction of the stage, in [0, 1] (0 when <see cref="TotalSteps"/> is not positive).</summary>
    public double Fraction => TotalSteps <= 0 ? 0 : Math.Clamp((double)Step / TotalSteps, 0, 1);
}
