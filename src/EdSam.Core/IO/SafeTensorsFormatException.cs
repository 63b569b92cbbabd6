namespace EdSam.IO;

/// <summary>
/// Thrown when a file is not a well-formed safetensors file: a truncated or hostile header, an unknown dtype,
/// tensor byte ranges that overlap, leave gaps or disagree with the declared shape, or a pickle checkpoint
/// (<c>.pt</c>, <c>.bin</c>, …) that EdSam refuses to execute.
/// </summary>
/// <remarks>
/// The message always starts with the file path and names the offending header field or tensor key, e.g.
/// <c>model.safetensors: tensor 'visual.proj': shape [768,512] × F32 needs 1572864 bytes but data_offsets span 1572860</c>.
/// </remarks>
public sealed class SafeTensorsFormatException : FormatException
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file that failed to parse.</param>
    /// <param name="field">
    /// The header field or tensor key at fault (for example <c>header length</c>, <c>__metadata__</c> or
    /// <c>tensor 'visual.proj'</c>), or null when the problem concerns the file as a whole.
    /// </param>
    /// <param name="problem">What is wrong, in words a user can act on.</param>
    /// <param name="innerException">The lower-level error (a JSON parse error, for instance), if any.</param>
    public SafeTensorsFormatException(string filePath, string? field, string problem, Exception? innerException = null)
        : base(Compose(filePath, field, problem), innerException)
    {
        FilePath = filePath;
        Field = field;
        Problem = problem;
    }

    /// <summary>The file that failed to parse.</summary>
    public string FilePath { get; }

    /// <summary>The header field or tensor key at fault, or null when the problem concerns the whole file.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without the file and field prefix.</summary>
    public string Problem { get; }

    private static string Compose(string filePath, string? field, string problem) =>
        field is null ? $"{filePath}: {problem}" : $"{filePath}: {field}: {problem}";
}
