namespace EdSam.Imaging;

/// <summary>
/// Thrown (a <see cref="FormatException"/>, like other EdSam file-format errors) when an image file or buffer cannot be decoded: it is truncated, corrupt, in a format
/// the decoder does not read, or larger than <see cref="ImageDecodeOptions.MaxPixels"/>.
/// </summary>
public sealed class ImageDecodeException : FormatException
{
    /// <summary>Creates the exception for the image called <paramref name="source"/>.</summary>
    /// <param name="source">The file path, or the caller-given name of an in-memory image.</param>
    /// <param name="reason">What is wrong, in words a user can act on.</param>
    /// <param name="innerException">The decoder's own exception, when there is one.</param>
    public ImageDecodeException(string source, string reason, Exception? innerException = null)
        : base($"Cannot decode image '{source}': {reason}", innerException)
    {
        ImageName = source;
        Reason = reason;
    }

    /// <summary>The file path, or the caller-given name of an in-memory image.</summary>
    public string ImageName { get; }

    /// <summary>Why decoding failed (without the image name).</summary>
    public string Reason { get; }
}
