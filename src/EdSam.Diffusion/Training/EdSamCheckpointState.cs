using EdSam.Training;

namespace EdSam.Diffusion.Training;

/// <summary>The JSON state <see cref="EdSamTrainer"/> stores in each checkpoint beside the model, optimiser and RNG.</summary>
internal sealed record EdSamCheckpointState
{
    /// <summary>The loss of every step completed so far, so a resumed run reports the whole history.</summary>
    public double[]? Losses { get; init; }

    /// <summary>The run's seed: the data order and sample choices derive from it.</summary>
    public long Seed { get; init; }

    /// <summary>Examples per step.</summary>
    public int BatchSize { get; init; }

    /// <summary>Number of training examples.</summary>
    public int ExampleCount { get; init; }

    /// <summary>The other settings that determine the run (<see cref="RunIdentity.Settings"/>: loss weight, optimiser,
    /// schedule, adversarial source); null in checkpoints written before they were recorded.</summary>
    public Dictionary<string, string>? Settings { get; init; }

    /// <summary>How the seed, batch size and example count of <paramref name="current"/> differ from this checkpoint's
    /// (the other settings are compared by <see cref="RunIdentity"/>), each as <c>Name old (now new)</c>.</summary>
    /// <param name="current">The new run's seed, batch size and example count.</param>
    public IEnumerable<string> Differences(EdSamCheckpointState current)
    {
        if (Seed != current.Seed) yield return $"Seed {Seed} (now {current.Seed})";
        if (BatchSize != current.BatchSize) yield return $"BatchSize {BatchSize} (now {current.BatchSize})";
        if (ExampleCount != current.ExampleCount) yield return $"{ExampleCount} training examples (now {current.ExampleCount})";
    }
}
