namespace EdSam.Cli;

/// <summary>An argument combination or value the parser accepts but the command cannot use; reported with exit
/// code <see cref="ExitCodes.UsageError"/>. The message names the option.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
