using EdSam.Cli;

namespace EdSam.Cli.Tests.TestSupport;

/// <summary>Runs <c>edsam</c> in-process with captured standard output and error.</summary>
public static class CliRun
{
    /// <summary>The exit code and everything written.</summary>
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Invoke(params string[] args) => Invoke(CancellationToken.None, args);

    public static Result Invoke(CancellationToken cancellationToken, params string[] args) => Invoke(new StringWriter(), cancellationToken, args);

    /// <summary>Runs with a given standard-error writer (a test can react to progress lines).</summary>
    public static Result Invoke(StringWriter error, CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        int code = EdSamCommandLine.InvokeAsync(args, output, error, cancellationToken).GetAwaiter().GetResult();
        return new Result(code, output.ToString(), error.ToString());
    }

    /// <summary>A standard-error writer that cancels <paramref name="source"/> at the first line starting with <paramref name="prefix"/>:
    /// a deterministic Ctrl+C in the middle of a run.</summary>
    public sealed class CancelOnLine(CancellationTokenSource source, string prefix) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.StartsWith(prefix, StringComparison.Ordinal)) source.Cancel();
        }
    }
}
