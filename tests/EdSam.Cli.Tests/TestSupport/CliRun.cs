using EdSam.Cli;

namespace EdSam.Cli.Tests.TestSupport;

/// <summary>Runs <c>edsam</c> in-process with captured standard output and error.</summary>
public static class CliRun
{
    /// <summary>The exit code and everything written.</summary>
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Invoke(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = EdSamCommandLine.InvokeAsync(args, output, error).GetAwaiter().GetResult();
        return new Result(code, output.ToString(), error.ToString());
    }
}
