using Microsoft.Extensions.Logging;

namespace EdSam.Training;

/// <summary>Options of <see cref="CheckpointManager"/>.</summary>
public sealed record CheckpointOptions
{
    /// <summary>The folder holding the <c>step-000123</c> checkpoint folders; created when missing.</summary>
    /// <value>The default value is empty (must be set).</value>
    public string Directory { get; init; } = "";

    /// <summary>How many of the newest checkpoints to keep; older ones are deleted after each successful save. The
    /// checkpoint just written is never deleted.</summary>
    /// <value>The default value is 3.</value>
    public int KeepLast { get; init; } = 3;

    /// <summary>Receives a warning for each corrupt checkpoint skipped by <see cref="CheckpointManager.TryLoadLatest{TState}"/>.</summary>
    /// <value>The default value is null (no logging).</value>
    public ILogger? Logger { get; init; }

    /// <summary>Checks every option and reports all errors at once.</summary>
    /// <exception cref="OptionsValidationException">One or more options are invalid; the message lists each.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public CheckpointOptions Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Directory)) errors.Add("Directory must name the checkpoint folder (was empty).");
        if (KeepLast < 1) errors.Add($"KeepLast must be at least 1 so the newest checkpoint survives (was {KeepLast}).");
        OptionsValidationException.ThrowIfAny("CheckpointOptions", errors);
        return this;
    }
}
