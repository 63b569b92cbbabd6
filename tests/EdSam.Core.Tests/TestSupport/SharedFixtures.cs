namespace EdSam.Tests.TestSupport;

/// <summary>Finds <c>../shared/fixtures</c> beside the repository (or <c>EDSAM_SHARED_FIXTURES</c>).</summary>
public static class SharedFixtures
{
    private static readonly Lazy<string?> Root = new(Locate);

    /// <summary>The fixtures folder, or null where <c>../shared</c> is absent.</summary>
    public static string? Directory => Root.Value;

    /// <summary>Path of a file under <c>fixtures/clip</c>; skips the calling test where the fixtures are absent.</summary>
    public static string Clip(string fileName)
    {
        Skip.If(Root.Value is null, "../shared/fixtures is absent: CLIP conformance fixtures cannot be checked here.");
        string path = Path.Combine(Root.Value!, "clip", fileName);
        File.Exists(path).Should().BeTrue($"the shared fixture {path} should exist");
        return path;
    }

    /// <summary>The repository root (the folder holding EdSam.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "EdSam.sln"))) return dir.FullName;
            throw new InvalidOperationException("EdSam.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static string? Locate()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("EDSAM_SHARED_FIXTURES");
        if (!string.IsNullOrEmpty(fromEnvironment) && System.IO.Directory.Exists(fromEnvironment)) return fromEnvironment;
        string candidate = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "fixtures"));
        return System.IO.Directory.Exists(candidate) ? candidate : null;
    }
}
