namespace EdSam.Training;

/// <summary>
/// A checkpoint cannot be used: it is incomplete or corrupt (a file is missing or unreadable), or it does not fit the
/// model/optimiser it is loaded into (different keys, shapes, dtypes or optimiser type) or was written by a run with
/// other settings (<see cref="RunIdentity"/>). The message names the folder, the file or setting and what was wrong.
/// </summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="checkpointPath">The checkpoint folder.</param>
    /// <param name="problem">Whether the checkpoint is damaged or does not fit what it is loaded into.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public CheckpointException(string checkpointPath, CheckpointProblem problem, string message, Exception? innerException = null)
        : base($"Checkpoint '{checkpointPath}' {(problem == CheckpointProblem.Corrupt ? "is incomplete or corrupt" : "does not fit the run being resumed")}: {message}", innerException)
    {
        CheckpointPath = checkpointPath;
        Problem = problem;
    }

    /// <summary>Whether the checkpoint is damaged or does not fit what it is loaded into.</summary>
    public CheckpointProblem Problem { get; }

    /// <summary>The checkpoint folder concerned.</summary>
    public string CheckpointPath { get; }
}

/// <summary>Why a checkpoint cannot be used.</summary>
public enum CheckpointProblem
{
    /// <summary>A file is missing, truncated or unreadable (for example a crash during a copy). <see cref="CheckpointManager.TryLoadLatest{TState}"/> skips it and falls back to an older checkpoint.</summary>
    Corrupt,

    /// <summary>The checkpoint is intact but belongs to a different model or optimiser (keys, shapes, dtypes, optimiser type or parameter groups differ), or to a run with other settings (<see cref="RunIdentity"/>). Never skipped silently: resuming the wrong run would lose work.</summary>
    Incompatible,
}
