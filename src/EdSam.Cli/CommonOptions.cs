using System.CommandLine;
using System.CommandLine.Parsing;

namespace EdSam.Cli;

/// <summary>Options shared by several commands (each command gets its own instance where the parser needs one).</summary>
internal static class CommonOptions
{
    /// <summary><c>--verbose</c>: on every command; prints exception details (stack traces) with error messages.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show details (stack traces) with error messages.",
        Recursive = true,
    };

    /// <summary>A positive integer option with a default, validated by the parser (a bad value is a usage error).</summary>
    public static Option<int> PositiveInt(string name, int defaultValue, string description)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1) result.AddError($"{name} must be at least 1 (got {result.GetValueOrDefault<int>()}).");
        });
        return option;
    }

    /// <summary><c>--json</c>: machine-readable output on standard output.</summary>
    public static Option<bool> Json() => new("--json") { Description = "Write the result as JSON on standard output." };

    /// <summary><c>--template</c>: prompt templates with a <c>{}</c> placeholder, repeatable.</summary>
    public static Option<string[]> Templates(string defaultTemplate) => new("--template")
    {
        Description = "Prompt template with {} for the class name; repeat to average several.",
        DefaultValueFactory = _ => [defaultTemplate],
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary><c>--data</c> for commands that need domains and labels.</summary>
    public static Option<string> DomainData(string description) => new("--data", "-d") { Description = description, Required = true };

    /// <summary>Throws a usage error unless 0 ≤ <paramref name="index"/> &lt; <paramref name="count"/>.</summary>
    public static void CheckShardRange(int index, int count)
    {
        if (index >= count) throw new CliUsageException($"--shard-index {index} must be less than --shard-count {count}.");
    }

    /// <summary><c>--shard-index</c>/<c>--shard-count</c>: process one slice of the shards (an indexed job's share).</summary>
    public static (Option<int> Index, Option<int> Count) ShardRange()
    {
        var count = PositiveInt("--shard-count", 1, "Split the WebDataset shards into this many slices.");
        var index = new Option<int>("--shard-index")
        {
            Description = "Process slice number N (0-based) of --shard-count (for Kubernetes indexed jobs, Slurm arrays).",
            DefaultValueFactory = _ => 0,
        };
        index.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < 0) result.AddError($"--shard-index must be 0 or more (got {value}).");
        });
        return (index, count);
    }

    /// <summary>
    /// Reports tokens that look like options (<c>--bogus</c>) but were swallowed by a many-valued argument or option
    /// as the unknown options they are, rather than as missing files.
    /// </summary>
    public static void RejectOptionLikeValues(SymbolResult result)
    {
        foreach (var token in result.Tokens)
            if (token.Value.StartsWith('-') && token.Value.Length > 1)
                result.AddError($"Unrecognized command or argument '{token.Value}'.");
    }
}
