namespace EdSam.Clip;

/// <summary>
/// A CLIP model config (open_clip JSON, Hugging Face <c>config.json</c>, or a record built in code) is malformed or
/// describes an impossible model. <see cref="Exception.Message"/> names every offending field.
/// </summary>
public sealed class ClipConfigException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The file the config came from, or null for a config built in code.</param>
    /// <param name="problems">One line per wrong field, each naming the field (e.g. <c>vision_cfg.width</c>).</param>
    public ClipConfigException(string? source, IReadOnlyList<string> problems)
        : base(Describe(source, problems))
    {
        Source = source;
        Problems = problems;
    }

    /// <summary>The config file, or null when the config was built in code.</summary>
    public new string? Source { get; }

    /// <summary>Every problem found, one per field.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Describe(string? source, IReadOnlyList<string> problems)
    {
        string where = source is null ? "CLIP config" : $"CLIP config '{source}'";
        return problems.Count == 1
            ? $"{where}: {problems[0]}."
            : $"{where} has {problems.Count} problems:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}";
    }
}
