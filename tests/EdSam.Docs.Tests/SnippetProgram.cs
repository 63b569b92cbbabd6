using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EdSam.Docs.Tests;

/// <summary>
/// The C# blocks of one Markdown file joined into one top-level-statements program, the way a reader follows a
/// how-to: later blocks use what earlier ones declared. Using directives are lifted to the top, type declarations
/// go after the statements (C# requires both; assembly attributes sit between), and every piece carries a <c>#line</c> directive, so compiler
/// diagnostics point at the Markdown file and line.
/// </summary>
public sealed class SnippetProgram
{
    /// <summary>The language names compiled as C#. Only <c>csharp</c> is accepted in the docs (see <see cref="DocsSnippetsTests"/>).</summary>
    public static readonly IReadOnlySet<string> CSharpLanguages = new HashSet<string>(["csharp", "cs", "c#"], StringComparer.OrdinalIgnoreCase);

    internal static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.None);

    private SnippetProgram(string file, IReadOnlyList<MarkdownCodeBlock> blocks, IReadOnlyList<SyntaxTree> blockTrees, string source)
    {
        File = file;
        Blocks = blocks;
        BlockTrees = blockTrees;
        Source = source;
    }

    /// <summary>The Markdown file, relative to the repository root.</summary>
    public string File { get; }

    /// <summary>The blocks compiled (skipped ones excluded), in file order.</summary>
    public IReadOnlyList<MarkdownCodeBlock> Blocks { get; }

    /// <summary>Each block parsed alone: its syntax errors are reported even where joining would hide them.</summary>
    public IReadOnlyList<SyntaxTree> BlockTrees { get; }

    /// <summary>The joined program text, with <c>#line</c> directives into the Markdown file.</summary>
    public string Source { get; }

    /// <summary>Joins the C# blocks of one file that are not marked <c>&lt;!-- snippet: skip reason --&gt;</c>.</summary>
    public static SnippetProgram FromBlocks(string file, IEnumerable<MarkdownCodeBlock> fileBlocks)
    {
        var blocks = fileBlocks.Where(b => CSharpLanguages.Contains(b.Language) && !SnippetDirective.Parse(b).Skip).ToList();
        var trees = blocks.Select(b => CSharpSyntaxTree.ParseText(
            $"#line {b.FirstCodeLine} \"{b.File}\"\n" + b.Code, ParseOptions, path: b.File)).ToList();

        var usings = new StringBuilder();
        var attributes = new StringBuilder();
        var statements = new StringBuilder();
        var declarations = new StringBuilder();
        var seenUsings = new HashSet<string>(StringComparer.Ordinal);
        foreach (SyntaxTree tree in trees)
        {
            var root = (CompilationUnitSyntax)tree.GetRoot();
            foreach (UsingDirectiveSyntax directive in root.Usings)
                if (seenUsings.Add(directive.ToString())) Append(usings, directive, file);
            foreach (AttributeListSyntax attribute in root.AttributeLists)
                Append(attributes, attribute, file);
            foreach (MemberDeclarationSyntax member in root.Members)
                Append(member is GlobalStatementSyntax ? statements : declarations, member, file);
        }

        string source = usings.Append(attributes).Append(statements).Append(declarations).ToString();
        return new SnippetProgram(file, blocks, trees, source);
    }

    // Writes a node on its own lines, mapped back to its Markdown line and column.
    private static void Append(StringBuilder to, SyntaxNode node, string file)
    {
        FileLinePositionSpan at = node.GetLocation().GetMappedLineSpan();
        to.Append("#line ").Append(at.StartLinePosition.Line + 1).Append(" \"").Append(file).Append("\"\n")
          .Append(' ', at.StartLinePosition.Character)
          .Append(node.ToString())
          .Append('\n');
    }

    /// <summary>The block that holds a Markdown line, for messages; null when the line is outside every block.</summary>
    public MarkdownCodeBlock? BlockAt(int markdownLine) =>
        Blocks.LastOrDefault(b => b.FirstCodeLine <= markdownLine && markdownLine < b.FirstCodeLine + b.Code.Split('\n').Length);
}
