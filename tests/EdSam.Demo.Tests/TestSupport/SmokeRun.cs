namespace EdSam.Demo.Tests.TestSupport;

/// <summary>Runs the whole demo once on <see cref="DemoSettings.Smoke"/> into a fresh folder, shared by a test class.</summary>
public sealed class SmokeRun : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public SmokeRun()
    {
        Settings = DemoSettings.Smoke with { OutputFolder = _folder.Path };
        var error = new StringWriter();
        Outcome = DemoProgram.Run(Settings, error);
        Error = error.ToString();
    }

    internal DemoSettings Settings { get; }

    internal DemoOutcome Outcome { get; }

    public string Error { get; }

    public string Folder => _folder.Path;

    public void Dispose() => _folder.Dispose();
}
