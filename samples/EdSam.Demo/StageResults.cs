using System.Text.Json;

namespace EdSam.Demo;

/// <summary>What a stage measured; written as <c>result.json</c> in its folder, whose presence marks it finished.</summary>
internal sealed record StageResult
{
    public string Stage { get; init; } = "";
    public double Seconds { get; init; }
    public Dictionary<string, double> Accuracy { get; init; } = [];
    public List<double> Losses { get; init; } = [];
    public string? Note { get; init; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string PathIn(string folder) => Path.Combine(folder, "result.json");

    public static StageResult? TryLoad(string folder) =>
        File.Exists(PathIn(folder)) ? JsonSerializer.Deserialize<StageResult>(File.ReadAllText(PathIn(folder)), Json) : null;

    /// <summary>Written last and atomically, so an interrupted stage is re-run rather than half-trusted.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        string temp = PathIn(folder) + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, PathIn(folder), overwrite: true);
    }
}
