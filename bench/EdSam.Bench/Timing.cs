using System.Diagnostics;

namespace EdSam.Bench;

/// <summary>Warm up, then time repeated runs and keep the median: robust to a noisy neighbour.</summary>
internal static class Timing
{
    /// <summary>Runs longer than this are timed once: slow paths (bf16 on CPUs without it) would take minutes.</summary>
    private const double SlowRunSeconds = 2.0;

    public static double MedianSeconds(Action action, int warmup = 2, int repeats = 5)
    {
        var first = Stopwatch.StartNew();
        action();
        if (first.Elapsed.TotalSeconds > SlowRunSeconds) return Time(action);
        for (int i = 1; i < warmup; i++) action();
        var seconds = new double[repeats];
        for (int i = 0; i < repeats; i++) seconds[i] = Time(action);
        Array.Sort(seconds);
        return seconds[repeats / 2];
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalSeconds;
    }
}
