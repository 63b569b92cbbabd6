using EdSam.Training;

namespace EdSam.Distillation.Tests.TestSupport;

/// <summary>An <see cref="IProgress{T}"/> that runs its callback synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress(Action<TrainingProgress> onReport) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => onReport(value);
}
