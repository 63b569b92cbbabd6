using System.Text.Json;

namespace EdSam.Demo;

/// <summary>
/// <c>settings.json</c> of a fold folder: the preset's sizes plus the fold's domain and seed. Resuming is only sound
/// with the settings that produced the finished stages, so a folder written with other settings is refused.
/// </summary>
internal static class FoldRecord
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string Text(DemoSettings settings, string domain, int seed) =>
        JsonSerializer.Serialize(new { Settings = settings, TestDomain = domain, Seed = seed }, Json);

    /// <summary>Writes the record, or returns false with a message when the folder holds another run's record.</summary>
    public static bool Claim(string folder, DemoSettings settings, string domain, int seed, out string? conflict)
    {
        string path = Path.Combine(folder, "settings.json");
        string text = Text(settings, domain, seed);
        if (File.Exists(path) && File.ReadAllText(path) != text)
        {
            conflict = $"{Path.GetFullPath(path)} was written by a run with other settings; pass another --out (or delete that folder) instead of mixing their results.";
            return false;
        }
        Directory.CreateDirectory(folder);
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
        conflict = null;
        return true;
    }
}

/// <summary>What one fold (held-out domain, seed) produced.</summary>
internal sealed record FoldRun(string Domain, int Seed, string Folder, int TrainCount, int ValidationCount, int TestCount,
    IReadOnlyDictionary<string, StageResult> Results, IReadOnlySet<string> Resumed)
{
    public double Seconds => Results.Values.Sum(r => r.Seconds);
}
