namespace EdSam.Data.FashionMnist;

/// <summary>An IDX file (the MNIST / Fashion-MNIST container) is malformed: wrong magic number, impossible
/// dimensions, truncated data, or images and labels that do not match. The message names the file.</summary>
public sealed class IdxFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="fileName">The file (or resource) that was being read.</param>
    /// <param name="message">What was wrong with it; the file name is prefixed.</param>
    /// <param name="innerException">The underlying error (a gzip failure, say), or null.</param>
    public IdxFormatException(string fileName, string message, Exception? innerException = null)
        : base($"{fileName}: {message}", innerException)
    {
        FileName = fileName;
    }

    /// <summary>The file (or embedded resource name) that was being read.</summary>
    public string FileName { get; }
}
