using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdSam.Data;

/// <summary>Applies a <see cref="BadInputPolicy"/> in one place: every reader hands its bad inputs here, so
/// "fail" and "skip, count and warn" mean the same thing everywhere. Thread-safe (data-loader workers).</summary>
internal sealed class BadInputGuard
{
    private long skipped;

    public BadInputGuard(BadInputPolicy policy, ILogger? logger)
    {
        if (!Enum.IsDefined(policy)) throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown BadInputPolicy.");
        Policy = policy;
        Logger = logger ?? NullLogger.Instance;
    }

    public BadInputPolicy Policy { get; }

    public ILogger Logger { get; }

    /// <summary>Items skipped so far under <see cref="BadInputPolicy.Skip"/>.</summary>
    public long SkippedCount => Interlocked.Read(ref skipped);

    /// <summary>Under <see cref="BadInputPolicy.Fail"/> throws <paramref name="error"/>; under Skip counts it and
    /// logs a warning with its message (which names the path).</summary>
    public void Report(Exception error)
    {
        if (Policy == BadInputPolicy.Fail) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        Interlocked.Increment(ref skipped);
        Logger.LogWarning("Skipping bad input: {Reason}", error.Message);
    }
}
