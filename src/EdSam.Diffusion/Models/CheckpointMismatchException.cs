namespace EdSam.Diffusion.Models;

/// <summary>A weights file does not fit the model it is loaded into: every missing, unexpected and mis-shaped key is listed at once.</summary>
public sealed class CheckpointMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The weights file (or a description of the state dict).</param>
    /// <param name="modelName">What was being loaded (e.g. "UNet2D").</param>
    /// <param name="missingKeys">Model keys the file lacks.</param>
    /// <param name="unexpectedKeys">File keys the model does not have.</param>
    /// <param name="shapeMismatches">Keys in both with different shapes, as <c>key: file [..] vs model [..]</c>.</param>
    public CheckpointMismatchException(string source, string modelName, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys, IReadOnlyList<string> shapeMismatches)
        : base(Describe(source, modelName, missingKeys, unexpectedKeys, shapeMismatches))
    {
        Source = source;
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>The weights file.</summary>
    public new string Source { get; }

    /// <summary>Model keys the file lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>File keys the model does not have.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Keys whose shapes differ, each as <c>key: file [..] vs model [..]</c>.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    private static string Describe(string source, string modelName, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
    {
        var lines = new List<string>
        {
            $"Weights '{source}' do not match the {modelName} ({missing.Count} missing, {unexpected.Count} unexpected, {mismatched.Count} mis-shaped key(s)). Is the config the one the weights were trained with?",
        };
        if (missing.Count > 0) lines.Add("Missing: " + string.Join(", ", missing));
        if (unexpected.Count > 0) lines.Add("Unexpected: " + string.Join(", ", unexpected));
        if (mismatched.Count > 0) lines.Add("Mis-shaped: " + string.Join("; ", mismatched));
        return string.Join(Environment.NewLine, lines);
    }
}
