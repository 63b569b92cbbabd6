using System.Diagnostics;

namespace EdSam.Bench;

/// <summary>Warm up, then time repeated runs and keep the median: robust to a noisy neighbour.</summary>
internal static class Timing
{
    public static double MedianSeconds(Action action, int warmup = 2, int repeats = 5)
    {
        for (int i = 0; i < warmup; i++) action();
        var seconds = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            seconds[i] = watch.Elapsed.TotalSeconds;
        }
        Array.Sort(seconds);
        return seconds[repeats / 2];
    }
}
