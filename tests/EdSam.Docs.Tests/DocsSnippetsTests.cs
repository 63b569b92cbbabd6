using Microsoft.CodeAnalysis;
using EdSam.Tests.TestSupport;

namespace EdSam.Docs.Tests;

/// <summary>
/// Every <c>```csharp</c> block of README.md and docs/**/*.md compiles against the real EdSam assemblies.
/// The blocks of one file form one program, read top to bottom like a notebook (docs/README.md, "Code in the docs").
/// </summary>
public sealed class DocsSnippetsTests
{
    /// <summary>README.md and every Markdown file under docs/, relative to the repository root.</summary>
    public static IEnumerable<object[]> MarkdownFiles() =>
        DocsFiles().Select(f => new object[] { f });

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void CSharp_blocks_compile_against_the_EdSam_assemblies(string file)
    {
        var blocks = Read(file);
        blocks.Select(SnippetDirective.Parse).Select(d => d.Error).OfType<string>().Should().BeEmpty();
        var program = SnippetProgram.FromBlocks(file, blocks);

        var diagnostics = SnippetCompiler.Compile(program);

        if (diagnostics.Count > 0)
            Assert.Fail($"The {program.Blocks.Count} C# block(s) of {file} (fences at lines {string.Join(", ", program.Blocks.Select(b => b.FenceLine))}) "
                + $"should compile as one program against the EdSam assemblies, but:\n{Describe(program, diagnostics)}");
    }

    [Fact]
    public void Docs_write_CSharp_blocks_as_csharp_so_the_check_sees_them()
    {
        var otherSpellings = DocsFiles().SelectMany(Read)
            .Where(b => SnippetProgram.CSharpLanguages.Contains(b.Language) && b.Language != "csharp")
            .Select(b => $"{b.Location}: ```{b.Language}");

        otherSpellings.Should().BeEmpty("C# blocks are fenced as ```csharp, the one spelling the docs use");
    }

    [Fact]
    public void The_docs_have_CSharp_blocks_to_check()
    {
        // Guards the theory against a broken finder: the README's quick start alone has C#.
        DocsFiles().Should().Contain("README.md").And.Contain("docs/getting-started.md");
        Read("README.md").Should().Contain(b => b.Language == "csharp");
    }

    [Fact]
    public void A_wrong_snippet_is_reported_at_its_Markdown_line()
    {
        const string markdown = """
            # Title

            ```csharp
            using EdSam.Clip;
            var config = ClipConfig.Named("ViT-B-32");
            ```

            Some prose.

            ```csharp
            int width = config.NoSuchProperty;
            ```
            """;
        var program = SnippetProgram.FromBlocks("docs/example.md", MarkdownCodeBlock.Parse("docs/example.md", markdown));

        var diagnostics = SnippetCompiler.Compile(program);

        // The second block sees the first block's variable; only its unknown member is an error, on line 11 of the file.
        diagnostics.Should().ContainSingle().Which.Id.Should().Be("CS1061");
        diagnostics[0].Location.GetMappedLineSpan().Path.Should().Be("docs/example.md");
        diagnostics[0].Location.GetMappedLineSpan().StartLinePosition.Line.Should().Be(10);
        program.BlockAt(11)!.FenceLine.Should().Be(10);
    }

    [Fact]
    public void Usings_and_type_declarations_of_any_block_serve_the_whole_file()
    {
        // Neither block compiles as written at its place: C# wants usings first and types after the statements.
        const string markdown = "```csharp\nvar origin = new Point(0, 0);\n```\n\n```csharp\nusing System.Text;\nvar text = new StringBuilder().Append(origin).ToString();\nrecord Point(int X, int Y);\n```\n";
        var program = SnippetProgram.FromBlocks("x.md", MarkdownCodeBlock.Parse("x.md", markdown));

        SnippetCompiler.Compile(program).Should().BeEmpty();
    }

    [Fact]
    public void A_name_declared_twice_in_one_file_is_an_error()
    {
        var program = SnippetProgram.FromBlocks("x.md", MarkdownCodeBlock.Parse("x.md", "```csharp\nint n = 1;\n```\n```csharp\nint n = 2;\n```\n"));

        SnippetCompiler.Compile(program).Should().Contain(d => d.Id == "CS0128");
    }

    [Fact]
    public void A_syntax_error_in_one_block_is_reported_even_when_the_program_parses()
    {
        var program = SnippetProgram.FromBlocks("x.md", MarkdownCodeBlock.Parse("x.md", "```csharp\nvar a = new int[] { 1, 2 ;\n```\n"));

        SnippetCompiler.Compile(program).Should().Contain(d => d.Severity == DiagnosticSeverity.Error && d.Id.StartsWith("CS1"));
    }

    [Fact]
    public void A_skipped_block_needs_a_reason_and_is_left_out()
    {
        const string markdown = "<!-- snippet: skip pseudo-code of the paper's algorithm -->\n```csharp\nfor each x: y\n```\n<!-- snippet: skip -->\n```csharp\n```\n";
        var blocks = MarkdownCodeBlock.Parse("x.md", markdown);

        SnippetDirective.Parse(blocks[0]).Should().Be(new SnippetDirective(true, "pseudo-code of the paper's algorithm", null));
        SnippetDirective.Parse(blocks[1]).Error.Should().Contain("needs a reason");
        var program = SnippetProgram.FromBlocks("x.md", blocks.Take(1));
        program.Blocks.Should().BeEmpty();
        SnippetCompiler.Compile(program).Should().BeEmpty();
    }

    private static IEnumerable<string> DocsFiles()
    {
        string root = SharedFixtures.RepositoryRoot;
        var docs = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal);
        return docs.Prepend("README.md");
    }

    private static IReadOnlyList<MarkdownCodeBlock> Read(string file) =>
        MarkdownCodeBlock.Parse(file, File.ReadAllText(Path.Combine(SharedFixtures.RepositoryRoot, file)));

    private static string Describe(SnippetProgram program, IReadOnlyList<Diagnostic> diagnostics) =>
        string.Join('\n', diagnostics.Select(d =>
        {
            FileLinePositionSpan at = d.Location.GetMappedLineSpan();
            int line = at.StartLinePosition.Line + 1;
            MarkdownCodeBlock? block = program.BlockAt(line);
            string where = block is null ? "" : $" (block at line {block.FenceLine}, its line {line - block.FenceLine})";
            return $"  {at.Path}({line},{at.StartLinePosition.Character + 1}){where}: {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage()}";
        }));
}
