using System.Diagnostics;
using System.Globalization;
using EdSam.Training;

namespace EdSam.Cli;

/// <summary>Writes training progress to standard error, at most about once a second (and always the last step of a stage).</summary>
internal sealed class ConsoleProgress(TextWriter error) : IProgress<TrainingProgress>
{
    private readonly Stopwatch sinceLastLine = Stopwatch.StartNew();
    private bool first = true;

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        bool last = value.Step >= value.TotalSteps;
        if (!first && !last && sinceLastLine.Elapsed < TimeSpan.FromSeconds(1)) return;
        first = false;
        sinceLastLine.Restart();
        string metrics = value.Metrics is null ? "" :
            string.Concat(value.Metrics.Select(m => $"  {m.Key} {m.Value.ToString("G4", CultureInfo.InvariantCulture)}"));
        error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{value.Stage}] step {value.Step}/{value.TotalSteps}  loss {value.Loss:F4}  lr {value.LearningRate:G3}{metrics}  {value.Elapsed:hh\\:mm\\:ss}"));
    }
}
