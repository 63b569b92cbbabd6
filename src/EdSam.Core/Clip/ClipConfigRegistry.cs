using System.Collections.Concurrent;
using System.Reflection;

namespace EdSam.Clip;

/// <summary>
/// Named configs: the JSON files embedded under <c>Clip/Configs</c> plus those users register (open_clip's
/// <c>list_models</c>/<c>add_model_config</c>). Names compare case-insensitively; OpenAI's <c>ViT-B/32</c> spelling
/// and open_clip's <c>-quickgelu</c> suffix resolve to the same built-in config.
/// </summary>
internal static class ClipConfigRegistry
{
    private const string ResourcePrefix = "EdSam.Clip.Configs.";
    private const string QuickGeluSuffix = "-quickgelu";

    private static readonly Lazy<IReadOnlyDictionary<string, ClipConfig>> BuiltIn = new(LoadBuiltIn);
    private static readonly ConcurrentDictionary<string, (string Name, ClipConfig Config)> UserConfigs = new(StringComparer.OrdinalIgnoreCase);

    public static ClipConfig Get(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        string key = name.Trim().Replace('/', '-');
        if (UserConfigs.TryGetValue(key, out var user)) return user.Config;
        if (BuiltIn.Value.TryGetValue(key, out var config)) return config;
        if (key.EndsWith(QuickGeluSuffix, StringComparison.OrdinalIgnoreCase)
            && BuiltIn.Value.TryGetValue(key[..^QuickGeluSuffix.Length], out var openAi)) return openAi;
        throw new ArgumentException(
            $"No CLIP config is named '{name}'. Available: {string.Join(", ", Names())}. " +
            "Add your own with ClipConfig.Register(name, path) or ClipConfig.RegisterDirectory(folder).", nameof(name));
    }

    public static void Add(string name, ClipConfig config) => UserConfigs[name.Trim()] = (name.Trim(), config);

    /// <summary>The name a config is registered under (user configs first), or null when it is none of them.</summary>
    public static string? NameOf(ClipConfig config) =>
        UserConfigs.Values.Where(v => v.Config.Equals(config)).Select(v => v.Name).FirstOrDefault()
        ?? BuiltIn.Value.Where(kv => kv.Value.Equals(config)).Select(kv => kv.Key).Order(StringComparer.OrdinalIgnoreCase).FirstOrDefault();

    public static IReadOnlyList<string> Names() =>
        BuiltIn.Value.Keys
            .Concat(UserConfigs.Values.Select(v => v.Name))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.OrdinalIgnoreCase)
            .ToList();

    private static IReadOnlyDictionary<string, ClipConfig> LoadBuiltIn()
    {
        var assembly = typeof(ClipConfigRegistry).Assembly;
        var configs = new Dictionary<string, ClipConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (string resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".json", StringComparison.Ordinal)) continue;
            string name = resource[ResourcePrefix.Length..^".json".Length];
            configs[name] = OpenClipConfigJson.Parse(ReadResource(assembly, resource), resource);
        }
        return configs;
    }

    private static string ReadResource(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded CLIP config '{resource}' is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
