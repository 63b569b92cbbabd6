namespace EdSam.Data;

/// <summary>Thrown when a data set input is malformed: a bad table line, an unreadable image, a truncated tar
/// shard, an empty class folder. <see cref="Exception.Message"/> names the file and, where it has one, the
/// line or the member.</summary>
public sealed class DataInputException : FormatException
{
    /// <summary>Creates the exception for an input at <paramref name="path"/>.</summary>
    /// <param name="path">The file or folder that is wrong (a tar shard, a table, an image, a class folder).</param>
    /// <param name="message">What is wrong and what was expected; the path is prefixed automatically.</param>
    /// <param name="line">1-based line of a text table, when the problem is on one line.</param>
    /// <param name="member">Name of the tar member, when the problem is inside a shard.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DataInputException(string path, string message, long? line = null, string? member = null, Exception? innerException = null)
        : base(Compose(path, message, line, member), innerException)
    {
        Path = path;
        Line = line;
        Member = member;
    }

    /// <summary>The file or folder that is wrong.</summary>
    public string Path { get; }

    /// <summary>1-based line in a text table, or null.</summary>
    public long? Line { get; }

    /// <summary>The tar member inside a shard, or null.</summary>
    public string? Member { get; }

    private static string Compose(string path, string message, long? line, string? member)
    {
        string where = path;
        if (line is not null) where += $":{line}";
        if (member is not null) where += $" (member '{member}')";
        return $"{where}: {message}";
    }
}
