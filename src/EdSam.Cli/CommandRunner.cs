using System.CommandLine;
using EdSam.Clip;
using EdSam.Data;
using EdSam.Imaging;
using EdSam.IO;
using EdSam.IO.Hub;

namespace EdSam.Cli;

/// <summary>
/// Runs a command body and turns what it throws into a message and an exit code: input problems (missing files,
/// malformed checkpoints, configs, images, tokenizer mismatches) are one line naming the file or argument, exit 1;
/// <see cref="CliUsageException"/> is exit 2; cancellation is exit 130. Stack traces appear only with <c>--verbose</c>.
/// </summary>
internal static class CommandRunner
{
    /// <summary>Sets <paramref name="command"/>'s action to run <paramref name="body"/> under the error policy.</summary>
    public static void SetBody(Command command, CliConsole console, Func<ParseResult, CancellationToken, int> body) =>
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(parse, console, cancellationToken, body)));

    private static int Run(ParseResult parse, CliConsole console, CancellationToken cancellationToken, Func<ParseResult, CancellationToken, int> body)
    {
        bool verbose = parse.GetValue(CommonOptions.Verbose);
        string name = parse.CommandResult.Command.Name;
        try
        {
            return body(parse, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Error.WriteLine($"edsam {name}: cancelled. Completed work (shards, checkpoints) is kept; run the same command again to resume.");
            return ExitCodes.Cancelled;
        }
        catch (OptionsValidationException e)
        {
            // Options records report every invalid property at once; the properties mirror the command's options.
            console.Error.WriteLine($"error: invalid options: {e.Message}");
            var flags = FlagsNamedIn(e.Message, parse.CommandResult.Command);
            if (flags.Count > 0) console.Error.WriteLine("  (" + string.Join("; ", flags.Select(f => $"{f.Property} is {f.Flag}")) + ")");
            console.Error.WriteLine($"Run 'edsam {name} --help' for usage.");
            return ExitCodes.UsageError;
        }
        catch (CliUsageException e)
        {
            console.Error.WriteLine($"error: {e.Message}");
            console.Error.WriteLine($"Run 'edsam {name} --help' for usage.");
            return ExitCodes.UsageError;
        }
        catch (Exception e) when (IsInputProblem(e))
        {
            console.Error.WriteLine($"error: {e.Message}");
            if (verbose) console.Error.WriteLine(e);
            return ExitCodes.RuntimeFailure;
        }
        catch (Exception e)
        {
            console.Error.WriteLine($"error: edsam {name} failed: {e.GetType().Name}: {e.Message}");
            console.Error.WriteLine(verbose ? e.ToString() : "(run with --verbose for the details)");
            return ExitCodes.RuntimeFailure;
        }
    }

    /// <summary>Exceptions whose message already says what is wrong with the user's input; no stack trace needed.</summary>
    /// <summary>
    /// The command's flags whose options-record property a validation message names (<c>--batch-size-per-domain</c> ↔
    /// <c>BatchSizePerDomain</c>): the records speak of properties, the user typed flags.
    /// </summary>
    internal static List<(string Property, string Flag)> FlagsNamedIn(string message, Command command)
    {
        var found = new List<(string, string)>();
        foreach (Option option in command.Options)
        {
            if (!option.Name.StartsWith("--", StringComparison.Ordinal)) continue;
            string property = string.Concat(option.Name[2..].Split('-', StringSplitOptions.RemoveEmptyEntries)
                .Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
            if (System.Text.RegularExpressions.Regex.IsMatch(message, $@"\b{property}\b")) found.Add((property, option.Name));
        }
        return found;
    }

    private static bool IsInputProblem(Exception e) => e is
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException
        or SafeTensorsFormatException or ClipConfigException or StateDictMismatchException or ClipPretrainedException
        or ClipTokenizerMismatchException
        or HubException or DataInputException or ImageDecodeException or CliInputException or NotSupportedException
        or FormatException or InvalidDataException or EdSam.Training.CheckpointException;
}

/// <summary>The user's input cannot be used (a tokenizer that does not fit the model, an empty label list in a
/// file…): reported as one line with exit code <see cref="ExitCodes.RuntimeFailure"/>.</summary>
internal sealed class CliInputException(string message) : Exception(message);
