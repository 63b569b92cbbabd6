using System.CommandLine;
using System.CommandLine.Help;
using EdSam.Cli.Commands;

namespace EdSam.Cli;

/// <summary>
/// Builds and runs the <c>edsam</c> command tree. <see cref="Program"/> is a thin shell over
/// <see cref="InvokeAsync"/>, so tests run every command in-process with captured output.
/// </summary>
public static class EdSamCommandLine
{
    /// <summary>Builds the root command with every subcommand.</summary>
    /// <param name="output">Where results go (standard output).</param>
    /// <param name="error">Where diagnostics go (standard error).</param>
    /// <returns>The root command; parse and invoke it with <see cref="InvokeAsync"/>.</returns>
    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var console = new CliConsole(output, error);
        var root = new RootCommand("EdSam: CLIP zero-shot classification, embeddings, evaluation and checkpoint conversion; ED-SAM augmentation and training; VL2V-ADiP distillation.")
        {
            CommonOptions.Verbose,
        };
        root.Add(ZeroShotCommand.Create(console));
        root.Add(EmbedCommand.Create(console));
        root.Add(EvalCommand.Create(console));
        root.Add(ConvertCommand.Create(console));
        root.Add(AugmentCommand.Create(console));
        root.Add(TrainCommand.Create(console));
        root.Add(DistillCommand.Create(console));
        return root;
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command. Usage errors print the parser's messages (naming the
    /// unknown or invalid option) and return <see cref="ExitCodes.UsageError"/> without running anything.
    /// </summary>
    /// <param name="args">The command-line arguments, without the program name.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="cancellationToken">Stops a running command after its current step.</param>
    /// <returns>The exit code: see <see cref="ExitCodes"/>.</returns>
    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        RootCommand root = Build(output, error);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (var parseError in parse.Errors) await error.WriteLineAsync($"error: {parseError.Message}").ConfigureAwait(false);
            string path = string.Join(' ', ["edsam", .. CommandPath(parse.CommandResult.Command, root)]);
            await error.WriteLineAsync($"Run '{path} --help' for usage.").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }

        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false, // CommandRunner maps exceptions to messages and exit codes
            ProcessTerminationTimeout = null,      // Program handles Ctrl+C: stop cleanly, never kill mid-write
        };
        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Synchronous form of <see cref="InvokeAsync"/>.</summary>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <returns>The exit code.</returns>
    public static int Invoke(string[] args, TextWriter output, TextWriter error) =>
        InvokeAsync(args, output, error).GetAwaiter().GetResult();

    private static IEnumerable<string> CommandPath(Command command, RootCommand root) =>
        command == root ? [] : [command.Name];
}
