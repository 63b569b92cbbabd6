namespace EdSam.Docs.Tests;

/// <summary>
/// The one instruction a doc can give the snippet check, as an HTML comment on the line above a block:
/// <c>&lt;!-- snippet: skip reason --&gt;</c> leaves a block that is not program code out of the check.
/// A skip without a reason, or any other directive, fails the check (see docs/README.md).
/// </summary>
/// <param name="Skip">Whether the block is left out.</param>
/// <param name="Reason">Why, as the doc states it.</param>
/// <param name="Error">What is wrong with the directive; null when it is valid or absent.</param>
public sealed record SnippetDirective(bool Skip, string? Reason, string? Error)
{
    private static readonly SnippetDirective None = new(false, null, null);

    /// <summary>Reads the directive above a block.</summary>
    public static SnippetDirective Parse(MarkdownCodeBlock block)
    {
        if (block.Directive is null) return None;
        string text = block.Directive;
        if (!text.StartsWith("skip", StringComparison.Ordinal))
            return new(false, null, $"{block.Location}: unknown snippet directive '{text}'; the only one is '<!-- snippet: skip reason -->'.");
        string reason = text["skip".Length..].Trim(' ', ':', '—', '-');
        return reason.Length == 0
            ? new(true, null, $"{block.Location}: '<!-- snippet: skip -->' needs a reason, e.g. '<!-- snippet: skip shell output, not C# -->'.")
            : new(true, reason, null);
    }
}
