namespace EdSam.Cli;

/// <summary>The process exit codes of <c>edsam</c> (documented in <c>docs/cli.md</c>).</summary>
public static class ExitCodes
{
    /// <summary>The command completed.</summary>
    public const int Success = 0;

    /// <summary>The command was understood but failed while running: a missing or malformed file, a model that
    /// does not fit its tokenizer, a checkpoint that does not fit its config, an I/O error.</summary>
    public const int RuntimeFailure = 1;

    /// <summary>The command line itself is wrong: an unknown command or option, a missing required option, a value
    /// that does not parse or is out of range.</summary>
    public const int UsageError = 2;

    /// <summary>The command was cancelled (Ctrl+C) and stopped cleanly; what was completed is kept.</summary>
    public const int Cancelled = 130;
}
