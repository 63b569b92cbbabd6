using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EdSam.Docs.Tests;

/// <summary>
/// Compiles a <see cref="SnippetProgram"/> as a user's console application would build it: the .NET shared
/// framework, the EdSam assemblies and what they reference (TorchSharp, Microsoft.ML.Tokenizers, ...), the SDK's
/// implicit usings, nullable enabled. Nothing is run.
/// </summary>
public static class SnippetCompiler
{
    /// <summary>The usings <c>&lt;ImplicitUsings&gt;enable&lt;/ImplicitUsings&gt;</c> gives a console project.</summary>
    public static readonly IReadOnlyList<string> ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
    ];

    // What a user's application sees after referencing the EdSam package: the three assemblies and their dependencies.
    private static readonly string[] EdSamAssemblies = ["EdSam.Core", "EdSam.Diffusion", "EdSam.Distillation"];

    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(LoadReferences);

    private static readonly SyntaxTree GlobalUsings = CSharpSyntaxTree.ParseText(
        string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n")), SnippetProgram.ParseOptions, path: "ImplicitUsings.g.cs");

    private static readonly CSharpCompilationOptions Options = new CSharpCompilationOptions(
            OutputKind.ConsoleApplication,
            nullableContextOptions: NullableContextOptions.Enable,
            concurrentBuild: false)   // two cores shared with the benchmarks; one snippet program is small
        // The SDK's default NoWarn: unification of framework versions (TorchSharp is built against .NET 8).
        .WithSpecificDiagnosticOptions([new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]);

    /// <summary>The errors and warnings of the program (syntax errors of each block included), in file order.</summary>
    public static IReadOnlyList<Diagnostic> Compile(SnippetProgram program)
    {
        if (program.Blocks.Count == 0) return [];
        SyntaxTree tree = CSharpSyntaxTree.ParseText(program.Source, SnippetProgram.ParseOptions, path: program.File);
        var compilation = CSharpCompilation.Create(
            "Snippets_" + string.Concat(program.File.Select(c => char.IsLetterOrDigit(c) ? c : '_')),
            [GlobalUsings, tree], References.Value, Options);

        using var peImage = new MemoryStream();
        var emitted = compilation.Emit(peImage);
        return program.BlockTrees.SelectMany(t => t.GetDiagnostics())
            .Concat(emitted.Diagnostics)
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .DistinctBy(d => (d.Id, d.GetMessage(), d.Location.GetMappedLineSpan().StartLinePosition))
            .OrderBy(d => d.Location.GetMappedLineSpan().StartLinePosition)
            .ToList();
    }

    private static IReadOnlyList<MetadataReference> LoadReferences()
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var frameworkPaths = trusted.Where(p => string.Equals(Path.GetDirectoryName(p), framework, StringComparison.Ordinal));
        var trustedByName = trusted
            .Where(p => !string.Equals(Path.GetDirectoryName(p), framework, StringComparison.Ordinal))
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);

        // The EdSam assemblies and their references, transitively; the test's own packages (xunit, Roslyn) stay out.
        var closure = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Queue<AssemblyName>(EdSamAssemblies.Select(n => new AssemblyName(n)));
        while (pending.TryDequeue(out AssemblyName? name))
        {
            if (name.Name is null || closure.ContainsKey(name.Name) || !trustedByName.TryGetValue(name.Name, out string? path)) continue;
            closure[name.Name] = path;
            foreach (AssemblyName reference in Assembly.Load(name).GetReferencedAssemblies()) pending.Enqueue(reference);
        }
        closure.Keys.Should().Contain(EdSamAssemblies, "the EdSam assemblies should be beside the test");

        return frameworkPaths.Concat(closure.Values)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList();
    }
}
