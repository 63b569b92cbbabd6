namespace EdSam.Training;

/// <summary>
/// Thrown by <see cref="TrainingGuards.EnsureFiniteLoss(TorchSharp.torch.Tensor, long, string?)"/> when a training
/// loss is NaN or infinite, before <c>backward</c> and <c>step</c> so nothing of the bad step is learnt. Resume from
/// <see cref="LastGoodCheckpoint"/> with a lower learning rate, stronger gradient clipping, or checked inputs.
/// </summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">The optimisation step whose loss was not finite (0-based index of the step being run).</param>
    /// <param name="loss">The loss value (NaN, +∞ or −∞).</param>
    /// <param name="lastGoodCheckpoint">The folder of the last checkpoint written before the failure, or null when none exists.</param>
    public NonFiniteLossException(long step, double loss, string? lastGoodCheckpoint)
        : base(BuildMessage(step, loss, lastGoodCheckpoint))
    {
        Step = step;
        Loss = loss;
        LastGoodCheckpoint = lastGoodCheckpoint;
    }

    /// <summary>The optimisation step whose loss was not finite.</summary>
    public long Step { get; }

    /// <summary>The non-finite loss value.</summary>
    public double Loss { get; }

    /// <summary>The last checkpoint folder written before the failure; null when training never checkpointed.</summary>
    public string? LastGoodCheckpoint { get; }

    private static string BuildMessage(long step, double loss, string? checkpoint) =>
        $"The training loss at step {step} is {loss.ToString(System.Globalization.CultureInfo.InvariantCulture)}; " +
        "the step was not applied (no backward, no optimiser step). " +
        (checkpoint is null
            ? "No checkpoint was written yet. "
            : $"The last good checkpoint is '{checkpoint}'; Fit resumes from it. ") +
        "Usual causes: a learning rate that is too high, missing gradient clipping, or NaN/inf in the input data.";
}
