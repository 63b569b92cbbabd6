namespace EdSam.Diffusion.Training;

/// <summary>The JSON state <see cref="EdSamTrainer"/> stores in each checkpoint beside the model, optimiser and RNG.</summary>
internal sealed record EdSamCheckpointState
{
    /// <summary>The loss of every step completed so far, so a resumed run reports the whole history.</summary>
    public double[]? Losses { get; init; }
}
