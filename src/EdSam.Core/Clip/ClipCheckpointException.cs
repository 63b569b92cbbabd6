namespace EdSam.Clip;

/// <summary>
/// A checkpoint does not fit the model: every missing, unexpected and mis-shaped key is listed (not just the first).
/// </summary>
public sealed class ClipCheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The checkpoint file (or a description of the state dict).</param>
    /// <param name="missingKeys">Model keys the checkpoint lacks.</param>
    /// <param name="unexpectedKeys">Checkpoint keys the model does not have.</param>
    /// <param name="shapeMismatches">Keys present in both with different shapes, described as <c>key: checkpoint [..] vs model [..]</c>.</param>
    public ClipCheckpointException(string path, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys, IReadOnlyList<string> shapeMismatches)
        : base(Describe(path, missingKeys, unexpectedKeys, shapeMismatches))
    {
        Path = path;
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }

    /// <summary>Model keys the checkpoint lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Checkpoint keys the model does not have.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Keys whose shapes differ, each as <c>key: checkpoint [..] vs model [..]</c>.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    private static string Describe(string path, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
    {
        var lines = new List<string> { $"Checkpoint '{path}' does not match the CLIP model ({missing.Count} missing, {unexpected.Count} unexpected, {mismatched.Count} mis-shaped key(s)). Is the config the checkpoint's architecture?" };
        if (missing.Count > 0) lines.Add("Missing: " + string.Join(", ", missing));
        if (unexpected.Count > 0) lines.Add("Unexpected: " + string.Join(", ", unexpected));
        if (mismatched.Count > 0) lines.Add("Mis-shaped: " + string.Join("; ", mismatched));
        return string.Join(Environment.NewLine, lines);
    }
}
