using System.Text.Json;

namespace EdSam.Clip;

/// <summary>
/// The local files of a pretrained CLIP (from a folder, or downloaded from a hub into the cache) and readers for them.
/// Produced by <see cref="ClipPretrained.Resolve"/>.
/// </summary>
public sealed record ClipPretrainedFiles
{
    /// <summary>The repository id or folder the files came from.</summary>
    public required string Source { get; init; }

    /// <summary>Which layout was found.</summary>
    public required ClipCheckpointLayout Layout { get; init; }

    /// <summary><c>open_clip_config.json</c> or the Hugging Face <c>config.json</c>.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>The <c>.safetensors</c> weights, or a sharded checkpoint's <c>model.safetensors.index.json</c> with its shards
    /// beside it (<see cref="ClipModel.FromPretrained(ClipConfig, string, ClipLoadOptions?)"/> takes either).</summary>
    public required string WeightsPath { get; init; }

    /// <summary>Hugging Face <c>preprocessor_config.json</c>, when present.</summary>
    public string? PreprocessorConfigPath { get; init; }

    /// <summary>Tokenizer <c>vocab.json</c>, when present (with <see cref="MergesPath"/>).</summary>
    public string? VocabPath { get; init; }

    /// <summary>Tokenizer <c>merges.txt</c>, when present (with <see cref="VocabPath"/>).</summary>
    public string? MergesPath { get; init; }

    /// <summary>OpenAI's <c>bpe_simple_vocab_16e6.txt.gz</c>, when present.</summary>
    public string? BpeGzPath { get; init; }

    /// <summary>Whether tokenizer files were found.</summary>
    public bool HasTokenizer => (VocabPath is not null && MergesPath is not null) || BpeGzPath is not null;

    /// <summary>Reads the architecture from <see cref="ConfigPath"/> (open_clip's <c>model_cfg</c>, or the Hugging Face mapping).</summary>
    /// <returns>The validated config.</returns>
    /// <exception cref="ClipConfigException">The config is malformed or describes an unsupported architecture.</exception>
    public ClipConfig ReadConfig()
    {
        if (Layout == ClipCheckpointLayout.HuggingFace) return ClipConfig.FromHuggingFaceConfig(ConfigPath);
        using JsonDocument document = ParseJson(ConfigPath);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("model_cfg", out JsonElement modelConfig) || modelConfig.ValueKind != JsonValueKind.Object)
            throw new ClipConfigException(ConfigPath, ["has no 'model_cfg' object (expected open_clip's {\"model_cfg\": {...}, \"preprocess_cfg\": {...}})"]);
        return ClipConfig.FromJsonText(modelConfig.GetRawText(), ConfigPath + " (model_cfg)");
    }

    /// <summary>
    /// The preprocessing the checkpoint was trained with: open_clip's <c>preprocess_cfg</c> or Hugging Face's
    /// <c>preprocessor_config.json</c> (mean, std, sizes, resampling), else CLIP's defaults at the model's image size.
    /// </summary>
    /// <param name="config">The model's config (its image size is the default resize and crop size).</param>
    /// <returns>Validated preprocessing options.</returns>
    /// <exception cref="ClipConfigException">A preprocessing field is malformed.</exception>
    public ImagePreprocessorOptions ReadPreprocessorOptions(ClipConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var options = ImagePreprocessorOptions.Clip(config.Vision.ImageSize);
        if (Layout == ClipCheckpointLayout.OpenClip)
        {
            using JsonDocument document = ParseJson(ConfigPath);
            if (document.RootElement.TryGetProperty("preprocess_cfg", out JsonElement p) && p.ValueKind == JsonValueKind.Object)
            {
                options = options with
                {
                    Mean = FloatTriple(p, "mean", ConfigPath) ?? options.Mean,
                    Std = FloatTriple(p, "std", ConfigPath) ?? options.Std,
                    Interpolation = Interpolation(p, "interpolation") ?? options.Interpolation,
                };
            }
        }
        else if (PreprocessorConfigPath is not null)
        {
            using JsonDocument document = ParseJson(PreprocessorConfigPath);
            JsonElement p = document.RootElement;
            options = options with
            {
                Mean = FloatTriple(p, "image_mean", PreprocessorConfigPath) ?? options.Mean,
                Std = FloatTriple(p, "image_std", PreprocessorConfigPath) ?? options.Std,
                ResizeSize = Size(p, "size", "shortest_edge") ?? options.ResizeSize,
                CropSize = Size(p, "crop_size", "height") ?? options.CropSize,
                // PIL's resample codes: 2 = BILINEAR, 3 = BICUBIC, 0 = NEAREST.
                Interpolation = p.TryGetProperty("resample", out JsonElement r) && r.ValueKind == JsonValueKind.Number
                    ? r.GetInt32() switch { 0 => ResizeInterpolation.Nearest, 2 => ResizeInterpolation.Bilinear, _ => ResizeInterpolation.Bicubic }
                    : options.Interpolation,
            };
        }
        options.Validate();
        return options;
    }

    /// <summary>Loads the tokenizer from <see cref="VocabPath"/>/<see cref="MergesPath"/> or <see cref="BpeGzPath"/>.</summary>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="ClipPretrainedException">No tokenizer files were found; the message says which files to provide.</exception>
    public ClipTokenizer LoadTokenizer()
    {
        if (VocabPath is not null && MergesPath is not null) return ClipTokenizer.FromVocabAndMerges(VocabPath, MergesPath);
        if (BpeGzPath is not null) return ClipTokenizer.FromBpeFile(BpeGzPath);
        throw new ClipPretrainedException(Source,
            $"'{Source}' has no tokenizer files (vocab.json + merges.txt, or bpe_simple_vocab_16e6.txt.gz). " +
            "CLIP models share OpenAI's BPE: load it with ClipTokenizer.FromBpeFile(path) from any copy of bpe_simple_vocab_16e6.txt.gz.");
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new ClipConfigException(path, [$"is not valid JSON ({ex.Message})"]);
        }
    }

    private static float[]? FloatTriple(JsonElement parent, string name, string path)
    {
        if (!parent.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number) return [value.GetSingle(), value.GetSingle(), value.GetSingle()];
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 3 || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
            throw new ClipConfigException(path, [$"'{name}' must be a number or an array of 3 numbers (R, G, B)"]);
        return value.EnumerateArray().Select(v => v.GetSingle()).ToArray();
    }

    private static int? Size(JsonElement parent, string name, string objectField)
    {
        if (!parent.TryGetProperty(name, out JsonElement value)) return null;
        if (value.ValueKind == JsonValueKind.Number) return value.GetInt32();
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty(objectField, out JsonElement inner) && inner.ValueKind == JsonValueKind.Number)
            return inner.GetInt32();
        return null;
    }

    private static ResizeInterpolation? Interpolation(JsonElement parent, string name)
        => parent.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()?.ToLowerInvariant() switch
            {
                "bicubic" => ResizeInterpolation.Bicubic,
                "bilinear" => ResizeInterpolation.Bilinear,
                "nearest" => ResizeInterpolation.Nearest,
                _ => null,
            }
            : null;
}
