using System.Text.RegularExpressions;

namespace EdSam.Docs.Tests;

/// <summary>One fenced code block of a Markdown file.</summary>
/// <param name="File">Path relative to the repository root, with '/' separators.</param>
/// <param name="FenceLine">1-based line of the opening fence.</param>
/// <param name="Language">The fence's info string (first word), e.g. <c>csharp</c>; empty when none.</param>
/// <param name="Code">The block's lines, with the fence's indentation removed.</param>
/// <param name="Directive">The <c>&lt;!-- snippet: ... --&gt;</c> comment right above the fence, without the markers; null when none.</param>
public sealed partial record MarkdownCodeBlock(string File, int FenceLine, string Language, string Code, string? Directive)
{
    /// <summary>1-based line of the block's first code line.</summary>
    public int FirstCodeLine => FenceLine + 1;

    /// <summary>Where the block starts, as an editor link: <c>docs/x.md:12</c>.</summary>
    public string Location => $"{File}:{FenceLine}";

    /// <summary>Every fenced block (``` or ~~~, possibly indented inside a list) of a Markdown text.</summary>
    public static IReadOnlyList<MarkdownCodeBlock> Parse(string relativePath, string markdown)
    {
        string[] lines = markdown.ReplaceLineEndings("\n").Split('\n');
        var blocks = new List<MarkdownCodeBlock>();
        for (int i = 0; i < lines.Length; i++)
        {
            Match open = FenceOpen().Match(lines[i]);
            if (!open.Success) continue;

            string indent = open.Groups["indent"].Value;
            string fence = open.Groups["fence"].Value;
            var code = new List<string>();
            int j = i + 1;
            // A fence closes with at least as many of the same character and nothing else on the line (CommonMark).
            for (; j < lines.Length; j++)
            {
                string trimmed = lines[j].Trim();
                if (trimmed.Length >= fence.Length && trimmed.All(c => c == fence[0])) break;
                code.Add(lines[j].StartsWith(indent, StringComparison.Ordinal) ? lines[j][indent.Length..] : lines[j].TrimStart());
            }

            blocks.Add(new MarkdownCodeBlock(relativePath, i + 1, open.Groups["info"].Value, string.Join('\n', code), DirectiveAbove(lines, i)));
            i = j;
        }
        return blocks;
    }

    // The last non-blank line above the fence, when it is a snippet directive.
    private static string? DirectiveAbove(string[] lines, int fenceIndex)
    {
        for (int k = fenceIndex - 1; k >= 0; k--)
        {
            if (string.IsNullOrWhiteSpace(lines[k])) continue;
            Match directive = SnippetDirective().Match(lines[k]);
            return directive.Success ? directive.Groups["text"].Value.Trim() : null;
        }
        return null;
    }

    [GeneratedRegex(@"^(?<indent>\s*)(?<fence>`{3,}|~{3,})\s*(?<info>[^\s`{]*)")]
    private static partial Regex FenceOpen();

    [GeneratedRegex(@"^\s*<!--\s*snippet:(?<text>.*?)-->\s*$")]
    private static partial Regex SnippetDirective();
}
