namespace EdSam.IO.Hub;

/// <summary>A file could not be obtained from the model hub or its cache. The message names the repository, file and URL.</summary>
public class HubException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do about it.</param>
    /// <param name="repoId">The repository id (<c>owner/name</c>).</param>
    /// <param name="fileName">The file inside the repository.</param>
    /// <param name="url">The URL requested, when a request was made.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public HubException(string message, string repoId, string fileName, Uri? url = null, Exception? innerException = null)
        : base(message, innerException)
    {
        RepoId = repoId;
        FileName = fileName;
        Url = url;
    }

    /// <summary>The repository id (<c>owner/name</c>).</summary>
    public string RepoId { get; }

    /// <summary>The file inside the repository.</summary>
    public string FileName { get; }

    /// <summary>The URL requested, or null when no request was made (offline mode).</summary>
    public Uri? Url { get; }
}

/// <summary>The server answered 404: the repository, revision or file does not exist (or is private and no token was sent).</summary>
public sealed class HubFileNotFoundException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="fileName">The file inside the repository.</param>
    /// <param name="url">The URL that returned 404.</param>
    public HubFileNotFoundException(string message, string repoId, string fileName, Uri? url)
        : base(message, repoId, fileName, url) { }
}

/// <summary>Offline mode is on and the file is not in the cache.</summary>
public sealed class HubOfflineException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="fileName">The file inside the repository.</param>
    public HubOfflineException(string message, string repoId, string fileName)
        : base(message, repoId, fileName) { }
}

/// <summary>The downloaded bytes do not have the SHA-256 the server announced; nothing was kept in the cache.</summary>
public sealed class HubChecksumException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="fileName">The file inside the repository.</param>
    /// <param name="url">The URL downloaded.</param>
    /// <param name="expectedSha256">The digest the server announced (64 lower-case hex digits).</param>
    /// <param name="actualSha256">The digest of the received bytes.</param>
    public HubChecksumException(string message, string repoId, string fileName, Uri url, string expectedSha256, string actualSha256)
        : base(message, repoId, fileName, url)
    {
        ExpectedSha256 = expectedSha256;
        ActualSha256 = actualSha256;
    }

    /// <summary>The digest the server announced.</summary>
    public string ExpectedSha256 { get; }

    /// <summary>The digest of the received bytes.</summary>
    public string ActualSha256 { get; }
}

/// <summary>
/// The hub's host could not be reached at all — its name does not resolve, or the connection was refused or failed
/// before any answer. Unlike a dropped transfer this is not retried: retrying cannot help until the network, the
/// endpoint (<c>HF_ENDPOINT</c>) or the name is fixed.
/// </summary>
public sealed class HubUnreachableException : HubException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which host could not be reached, why, and what to do.</param>
    /// <param name="repoId">The repository id.</param>
    /// <param name="fileName">The file inside the repository.</param>
    /// <param name="url">The URL requested.</param>
    /// <param name="innerException">The network error.</param>
    public HubUnreachableException(string message, string repoId, string fileName, Uri url, Exception? innerException)
        : base(message, repoId, fileName, url, innerException)
    {
    }

    /// <summary>The host that could not be reached.</summary>
    public string Host => Url!.Host;
}
