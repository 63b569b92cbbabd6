namespace EdSam.Diffusion.Training;

/// <summary>What one <see cref="DiffusionTrainer"/> <c>Fit</c> call did.</summary>
/// <param name="StartStep">Steps already completed when this call started (non-zero after resuming from a checkpoint).</param>
/// <param name="Steps">Total steps completed (equals the options' <c>Steps</c>).</param>
/// <param name="Losses">The loss of every step run by this call, in order (step <c>StartStep + i</c> at index i).</param>
/// <param name="LastCheckpoint">The last checkpoint folder written, or null without checkpoints.</param>
public sealed record DiffusionTrainingResult(long StartStep, long Steps, IReadOnlyList<double> Losses, string? LastCheckpoint);
