using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdSam.Diffusion.Models;

/// <summary>
/// Reads and writes the JSON configs saved beside weights (snake_case keys as in diffusers' config files;
/// unknown keys are an error so a typo is not silently ignored; files are written atomically).
/// </summary>
internal static class ConfigFiles
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    // Third-party files (diffusers' config.json) carry keys EdSam does not use (_class_name, act_fn, …).
    private static readonly JsonSerializerOptions Lenient = new(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };

    public static void Write<T>(string path, T value) => EdSam.IO.AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, Options));

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid <typeparamref name="T"/> (message names the file).</exception>
    public static T Read<T>(string path, bool allowUnknownKeys = false)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file '{path}' was not found.", path);
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), allowUnknownKeys ? Lenient : Options)
                ?? throw new InvalidDataException($"Config file '{path}' contains null instead of a {typeof(T).Name}.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Config file '{path}' is not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }
}
