namespace EdSam.Training;

/// <summary>A checkpoint that was restored into a <see cref="CheckpointContents"/>.</summary>
/// <typeparam name="TState">The trainer's JSON-serialisable state type.</typeparam>
/// <param name="Step">The number of optimisation steps completed when the checkpoint was written; training continues at this step.</param>
/// <param name="TrainerState">The trainer-specific state saved with it (epoch, data position, best loss, …).</param>
/// <param name="Path">The checkpoint folder.</param>
public sealed record LoadedCheckpoint<TState>(long Step, TState TrainerState, string Path);

/// <summary>A checkpoint folder found on disk.</summary>
/// <param name="Step">The step encoded in the folder name (<c>step-000123</c>).</param>
/// <param name="Path">The folder's full path.</param>
public sealed record CheckpointInfo(long Step, string Path);
