namespace EdSam.Data;

/// <summary>What a reader does with an input it cannot use: a corrupt or truncated image, a missing file,
/// an unreadable tar member, a malformed table row or an empty class folder.</summary>
public enum BadInputPolicy
{
    /// <summary>Throw an exception naming the offending path (and line or member). The default: a data set
    /// that silently shrinks gives silently different numbers.</summary>
    Fail = 0,

    /// <summary>Skip the item, count it (each reader exposes <c>SkippedCount</c>) and log a warning with its path.</summary>
    Skip = 1,
}
