using System.Globalization;
using Microsoft.Extensions.Logging;

namespace EdSam.Training;

/// <summary>
/// The settings that determine a training run (learning rate, schedule length, loss weights, data source…), as named
/// text values a trainer stores in its checkpoints' JSON state. Before resuming, the trainer compares the settings of
/// the checkpoint with the current ones: a checkpoint written under other settings would not continue the same run, so
/// resuming it is refused (<see cref="Differences"/>) instead of silently mixing two configurations.
/// </summary>
/// <remarks>Values are compared as text: numbers are written with the round-trip format of the invariant culture, so
/// equal doubles give equal text. A name missing from an older checkpoint is <em>unknown</em>, not different
/// (<see cref="UnknownIn"/>): checkpoints written before a setting was recorded stay resumable.</remarks>
public sealed class RunIdentity
{
    private readonly Dictionary<string, string> _settings = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>The settings in the order they were added (name → value).</summary>
    public IReadOnlyDictionary<string, string> Settings => _order.ToDictionary(n => n, n => _settings[n], StringComparer.Ordinal);

    /// <summary>Adds a setting.</summary>
    /// <param name="name">The setting's name as users know it (an options property, e.g. <c>LearningRate</c>).</param>
    /// <param name="value">Its value as text.</param>
    /// <returns>This instance.</returns>
    /// <exception cref="ArgumentException">The name is empty or was added before.</exception>
    public RunIdentity Add(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!_settings.TryAdd(name, value)) throw new ArgumentException($"The run setting '{name}' was added twice.", nameof(name));
        _order.Add(name);
        return this;
    }

    /// <summary>Adds a numeric setting (invariant round-trip text).</summary>
    /// <param name="name">The setting's name.</param>
    /// <param name="value">Its value.</param>
    /// <returns>This instance.</returns>
    public RunIdentity Add(string name, double value) => Add(name, value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>Adds a list of numbers (a mean/std triple, …) as invariant round-trip text separated by spaces.</summary>
    /// <param name="name">The setting's name.</param>
    /// <param name="values">Its values.</param>
    /// <returns>This instance.</returns>
    public RunIdentity Add(string name, IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Add(name, string.Join(" ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
    }

    /// <summary>Adds an integer setting.</summary>
    /// <param name="name">The setting's name.</param>
    /// <param name="value">Its value.</param>
    /// <returns>This instance.</returns>
    public RunIdentity Add(string name, long value) => Add(name, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// The settings whose value in <paramref name="saved"/> (read from a checkpoint) differs from this run's, each as
    /// <c>Name old (now new)</c>; empty when none differ. Settings the checkpoint does not record are not compared.
    /// </summary>
    /// <param name="saved">The settings stored in the checkpoint; null for a checkpoint that records none.</param>
    /// <returns>One description per differing setting, in this run's order.</returns>
    public IReadOnlyList<string> Differences(IReadOnlyDictionary<string, string>? saved) =>
        saved is null ? [] : _order.Where(n => saved.TryGetValue(n, out string? old) && !string.Equals(old, _settings[n], StringComparison.Ordinal))
                                    .Select(n => $"{n} {saved[n]} (now {_settings[n]})").ToList();

    /// <summary>
    /// The check a trainer makes after loading a checkpoint: throws when the checkpoint was written under other settings
    /// (naming each, old and new), and logs a warning naming the settings it does not record (an older checkpoint, resumed).
    /// </summary>
    /// <param name="checkpointPath">The loaded checkpoint, named in the exception and the warning.</param>
    /// <param name="saved">The settings stored in the checkpoint, or null.</param>
    /// <param name="logger">Receives the warning; none when null.</param>
    /// <param name="otherDifferences">Differences the trainer found in state it checks itself (for example its seed), listed first.</param>
    /// <exception cref="CheckpointException">Any difference (<see cref="CheckpointProblem.Incompatible"/>).</exception>
    public void EnsureResumable(string checkpointPath, IReadOnlyDictionary<string, string>? saved, ILogger? logger,
        IEnumerable<string>? otherDifferences = null)
    {
        var differences = (otherDifferences ?? []).Concat(Differences(saved)).ToList();
        if (differences.Count > 0)
            throw new CheckpointException(checkpointPath, CheckpointProblem.Incompatible,
                $"it was written by a run with {string.Join(", ", differences)}: resuming would not continue that run. Use another " +
                "CheckpointDirectory (--checkpoints) for the new settings, or run again with the original settings to continue it.");
        if (UnknownIn(saved) is { Count: > 0 } unknown)
            logger?.LogWarning("Checkpoint {Path} does not record {Settings} (it was written by an older EdSam), so they cannot be " +
                               "checked against this run's options; resuming on the assumption that they are unchanged.", checkpointPath, string.Join(", ", unknown));
    }

    /// <summary>This run's settings that <paramref name="saved"/> does not record (a checkpoint written by an older
    /// version): they cannot be checked, so the trainer resumes and logs a warning naming them.</summary>
    /// <param name="saved">The settings stored in the checkpoint, or null.</param>
    /// <returns>The names, in this run's order.</returns>
    public IReadOnlyList<string> UnknownIn(IReadOnlyDictionary<string, string>? saved) =>
        _order.Where(n => saved is null || !saved.ContainsKey(n)).ToList();
}
