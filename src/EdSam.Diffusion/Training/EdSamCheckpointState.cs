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

    /// <summary>Why resuming a run with <paramref name="current"/> settings would not continue this one, or null.</summary>
    /// <param name="current">The new run's seed, batch size and example count.</param>
    /// <param name="identity">The new run's other settings.</param>
    public string? Mismatch(EdSamCheckpointState current, RunIdentity identity)
    {
        var problems = new List<string>();
        if (Seed != current.Seed) problems.Add($"Seed {Seed} (now {current.Seed})");
        if (BatchSize != current.BatchSize) problems.Add($"BatchSize {BatchSize} (now {current.BatchSize})");
        if (ExampleCount != current.ExampleCount) problems.Add($"{ExampleCount} training examples (now {current.ExampleCount})");
        problems.AddRange(identity.Differences(Settings));
        return problems.Count == 0 ? null : "it was written by a run with " + string.Join(", ", problems) +
            ": resuming would not continue that run. Use another CheckpointDirectory (--checkpoints) for the new settings, " +
            "or run again with the original settings to continue it.";
    }
}
