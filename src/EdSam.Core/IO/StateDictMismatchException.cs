namespace EdSam.IO;

/// <summary>
/// A state dict does not fit a module: every missing, unexpected and mis-shaped key is listed (not just the first).
/// </summary>
public sealed class StateDictMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The checkpoint file (or a description of the state dict).</param>
    /// <param name="moduleName">What was being loaded, for the message (for example <c>ResNet</c>).</param>
    /// <param name="missingKeys">Module keys the checkpoint lacks.</param>
    /// <param name="unexpectedKeys">Checkpoint keys the module does not have.</param>
    /// <param name="shapeMismatches">Keys in both with different shapes, each as <c>key: checkpoint [..] vs model [..]</c>.</param>
    public StateDictMismatchException(string source, string moduleName, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys, IReadOnlyList<string> shapeMismatches)
        : this(source, moduleName, missingKeys, unexpectedKeys, shapeMismatches, comparedWith: null)
    {
    }

    /// <summary>Creates the exception, naming what the module was built from.</summary>
    /// <param name="source">The checkpoint file (or a description of the state dict).</param>
    /// <param name="moduleName">What was being loaded, for the message (for example <c>ClipModel</c>).</param>
    /// <param name="missingKeys">Module keys the checkpoint lacks.</param>
    /// <param name="unexpectedKeys">Checkpoint keys the module does not have.</param>
    /// <param name="shapeMismatches">Keys in both with different shapes, each as <c>key: checkpoint [..] vs model [..]</c>.</param>
    /// <param name="comparedWith">The config the module was built from (for example <c>ClipConfig 'ViT-B-32' (ViT, 12 layers, width 768, …)</c>), or null.</param>
    public StateDictMismatchException(string source, string moduleName, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys,
        IReadOnlyList<string> shapeMismatches, string? comparedWith)
        : base(Describe(source, moduleName, missingKeys, unexpectedKeys, shapeMismatches, comparedWith))
    {
        Checkpoint = source;
        ModuleName = moduleName;
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
        ComparedWith = comparedWith;
    }

    /// <summary>The checkpoint file (or a description of the state dict).</summary>
    public string Checkpoint { get; }

    /// <summary>What was being loaded (for example <c>ClipModel</c>).</summary>
    public string ModuleName { get; }

    /// <summary>The config the module was built from, as named in the message, or null when not known.</summary>
    public string? ComparedWith { get; }

    /// <summary>Module keys the checkpoint lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Checkpoint keys the module does not have.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Keys whose shapes differ, each as <c>key: checkpoint [..] vs model [..]</c>.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    private static string Describe(string source, string moduleName, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> mismatched, string? comparedWith)
    {
        string builtFrom = comparedWith is null ? "" : $" built from {comparedWith}";
        var lines = new List<string>
        {
            $"Checkpoint '{source}' does not match the {moduleName}{builtFrom} ({missing.Count} missing, {unexpected.Count} unexpected, {mismatched.Count} mis-shaped key(s)). Is it a checkpoint of this architecture?",
        };
        if (missing.Count > 0) lines.Add("Missing: " + string.Join(", ", missing));
        if (unexpected.Count > 0) lines.Add("Unexpected: " + string.Join(", ", unexpected));
        if (mismatched.Count > 0) lines.Add("Mis-shaped: " + string.Join("; ", mismatched));
        return string.Join(Environment.NewLine, lines);
    }
}
