namespace EdSam.Clip;

/// <summary>
/// Architecture of a CLIP model in the open_clip JSON schema: <c>embed_dim</c>, <c>quick_gelu</c>,
/// <c>vision_cfg</c> (<see cref="ClipVisionConfig"/>) and <c>text_cfg</c> (<see cref="ClipTextConfig"/>).
/// </summary>
/// <remarks>
/// Load one with <see cref="FromJson"/>, <see cref="FromHuggingFaceConfig"/> or <see cref="Named"/>. The named
/// configs are the architectures OpenAI published, with <c>quick_gelu: true</c> because OpenAI trained them with
/// QuickGELU (open_clip names these <c>…-quickgelu</c>; those names are accepted as aliases). For weights trained
/// with exact GELU (most LAION/DataComp open_clip checkpoints) use <c>Named("ViT-B-32") with { QuickGelu = false }</c>
/// or the checkpoint's own JSON.
/// </remarks>
public sealed record ClipConfig
{
    /// <summary>Dimension of the joint image–text embedding (<c>embed_dim</c>).</summary>
    public required int EmbedDim { get; init; }

    /// <summary>
    /// True for QuickGELU (<c>x·σ(1.702x)</c>, OpenAI's activation), false for exact GELU (<c>quick_gelu</c>).
    /// </summary>
    /// <value>The default value is false, as in open_clip's schema.</value>
    public bool QuickGelu { get; init; }

    /// <summary>The image tower (<c>vision_cfg</c>).</summary>
    public required ClipVisionConfig Vision { get; init; }

    /// <summary>The text tower (<c>text_cfg</c>).</summary>
    public required ClipTextConfig Text { get; init; }

    /// <summary>
    /// Reads a model config in either format: an open_clip model config (also wrapped in <c>model_cfg</c>, as in
    /// the hub's <c>open_clip_config.json</c>) or a Hugging Face <c>CLIPModel</c> <c>config.json</c>.
    /// </summary>
    /// <param name="path">Path of the <c>.json</c> file.</param>
    /// <returns>The validated config.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ClipConfigException">A field is malformed or impossible; the message names it.</exception>
    public static ClipConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP config file '{path}' does not exist.", path);
        string json = File.ReadAllText(path);
        return OpenClipConfigJson.IsHuggingFaceConfig(json, path) ? HuggingFaceClipConfigJson.Parse(json, path) : OpenClipConfigJson.Parse(json, path);
    }

    /// <summary>Reads an open_clip model config JSON file (bare, or wrapped in <c>model_cfg</c> as in the hub's <c>open_clip_config.json</c>).</summary>
    /// <param name="path">Path of the <c>.json</c> file.</param>
    /// <returns>The validated config.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ClipConfigException">The JSON is malformed, a field is missing, has the wrong type or an impossible value; the message names every such field.</exception>
    public static ClipConfig FromJson(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP config file '{path}' does not exist.", path);
        return OpenClipConfigJson.Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses open_clip model config JSON text.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="sourceName">Name used in error messages (a file name or resource name), or null.</param>
    /// <returns>The validated config.</returns>
    /// <exception cref="ClipConfigException">A field is malformed or impossible; the message names it.</exception>
    public static ClipConfig FromJsonText(string json, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        return OpenClipConfigJson.Parse(json, sourceName);
    }

    /// <summary>
    /// Maps a Hugging Face <c>CLIPModel</c> <c>config.json</c> (<c>projection_dim</c>, <c>text_config</c>,
    /// <c>vision_config</c>) to a <see cref="ClipConfig"/>. Fields the file omits take the Hugging Face
    /// <c>CLIPConfig</c> defaults (those of <c>openai/clip-vit-base-patch32</c>).
    /// </summary>
    /// <param name="configJsonPath">Path of the Hugging Face <c>config.json</c>.</param>
    /// <returns>The validated config.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ClipConfigException">A field is malformed, or the two towers use different activations.</exception>
    public static ClipConfig FromHuggingFaceConfig(string configJsonPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(configJsonPath);
        if (!File.Exists(configJsonPath))
            throw new FileNotFoundException($"Hugging Face CLIP config '{configJsonPath}' does not exist.", configJsonPath);
        return HuggingFaceClipConfigJson.Parse(File.ReadAllText(configJsonPath), configJsonPath);
    }

    /// <summary>This config as open_clip model-config JSON (indented), which <see cref="FromJsonText"/> reads back as an equal config.</summary>
    /// <returns>The JSON text: <c>{"embed_dim": …, "quick_gelu": …, "vision_cfg": {…}, "text_cfg": {…}}</c>.</returns>
    public string ToJson() => OpenClipConfigJson.ToJsonObject(this).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    /// <summary>
    /// A registered config by name: the built-in <c>ViT-B-32</c>, <c>ViT-B-16</c>, <c>ViT-L-14</c>,
    /// <c>ViT-L-14-336</c>, <c>RN50</c>, <c>RN101</c>, <c>RN50x4</c> (also as <c>…-quickgelu</c> and OpenAI's
    /// <c>ViT-B/32</c> spelling), or one added with <see cref="Register"/> / <see cref="RegisterDirectory"/>.
    /// Names are case-insensitive.
    /// </summary>
    /// <param name="name">The model name.</param>
    /// <returns>The config.</returns>
    /// <exception cref="ArgumentException">No config has that name; the message lists the available names.</exception>
    public static ClipConfig Named(string name) => ClipConfigRegistry.Get(name);

    /// <summary>Registers (or replaces) a user config under <paramref name="name"/>, reading and validating it now.</summary>
    /// <param name="name">The name <see cref="Named"/> will accept.</param>
    /// <param name="path">Path of an open_clip config JSON file.</param>
    /// <exception cref="ClipConfigException">The file is not a valid config.</exception>
    public static void Register(string name, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ClipConfigRegistry.Add(name, FromJson(path));
    }

    /// <summary>Registers every <c>*.json</c> file in <paramref name="folder"/> under its file name without extension (open_clip's <c>add_model_config</c>).</summary>
    /// <param name="folder">A folder of open_clip config JSON files.</param>
    /// <returns>The names registered.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ClipConfigException">A file is not a valid config (nothing from the folder is registered then).</exception>
    public static IReadOnlyList<string> RegisterDirectory(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"CLIP config folder '{folder}' does not exist.");
        var parsed = Directory.EnumerateFiles(folder, "*.json")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => (Name: Path.GetFileNameWithoutExtension(f), Config: FromJson(f)))
            .ToList();
        foreach (var (name, config) in parsed) ClipConfigRegistry.Add(name, config);
        return parsed.Select(p => p.Name).ToList();
    }

    /// <summary>Every name <see cref="Named"/> accepts (built-in and registered), sorted.</summary>
    public static IReadOnlyList<string> ListNames() => ClipConfigRegistry.Names();

    /// <summary>Checks every field and throws one exception listing all problems.</summary>
    /// <param name="source">File name for the message, or null.</param>
    /// <exception cref="ClipConfigException">Any field is impossible.</exception>
    public void Validate(string? source = null)
    {
        var problems = new List<string>();
        if (EmbedDim <= 0) problems.Add($"embed_dim must be positive (got {EmbedDim})");
        if (Vision is null) problems.Add("vision_cfg is missing");
        else problems.AddRange(Vision.Problems());
        if (Text is null) problems.Add("text_cfg is missing");
        else problems.AddRange(Text.Problems());
        if (problems.Count > 0) throw new ClipConfigException(source, problems);
    }
}
