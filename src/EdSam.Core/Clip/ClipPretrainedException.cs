namespace EdSam.Clip;

/// <summary>
/// A folder or hub repository does not hold a CLIP checkpoint EdSam can load (no recognised layout, only pickle
/// weights, a sharded checkpoint, no tokenizer files). The message says what was found and what to do.
/// </summary>
public sealed class ClipPretrainedException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The repository id or folder.</param>
    /// <param name="message">What is wrong and how to fix it.</param>
    public ClipPretrainedException(string source, string message) : base(message) => PretrainedSource = source;

    /// <summary>Creates the exception with the error that caused it.</summary>
    /// <param name="source">The repository id or folder.</param>
    /// <param name="message">What is wrong and how to fix it.</param>
    /// <param name="innerException">The underlying error.</param>
    public ClipPretrainedException(string source, string message, Exception? innerException) : base(message, innerException) => PretrainedSource = source;

    /// <summary>The repository id or folder that was resolved.</summary>
    public string PretrainedSource { get; }
}
