using System.Text.Json;

namespace EdSam.Cli;

/// <summary>JSON settings for <c>--json</c> output: camelCase, indented.</summary>
internal static class CliJson
{
    /// <summary>The shared serializer options.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
