using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdSam.Clip;

/// <summary>Reads the open_clip model-config JSON schema, collecting every field problem before failing.</summary>
internal static class OpenClipConfigJson
{
    private static readonly string[] TopFields = ["embed_dim", "quick_gelu", "vision_cfg", "text_cfg"];
    private static readonly string[] VisionFields = ["image_size", "layers", "width", "patch_size", "head_width", "mlp_ratio"];
    private static readonly string[] TextFields = ["context_length", "vocab_size", "width", "heads", "layers", "mlp_ratio"];

    /// <summary>True for a Hugging Face <c>CLIPModel</c> <c>config.json</c> rather than an open_clip config.</summary>
    public static bool IsHuggingFaceConfig(JsonElement root) =>
        (root.TryGetProperty("text_config", out _) || root.TryGetProperty("vision_config", out _))
        && !root.TryGetProperty("vision_cfg", out _) && !root.TryGetProperty("model_cfg", out _);

    /// <summary>True when <paramref name="json"/> is a Hugging Face <c>CLIPModel</c> <c>config.json</c>.</summary>
    public static bool IsHuggingFaceConfig(string json, string? source)
    {
        using var document = JsonFieldReader.ParseObject(json, source);
        return IsHuggingFaceConfig(document.RootElement);
    }

    /// <summary>The open_clip model config of <paramref name="config"/>, every field written (defaults too), so
    /// <see cref="Parse"/> reads back an equal config.</summary>
    public static JsonObject ToJsonObject(ClipConfig config)
    {
        var vision = new JsonObject
        {
            ["image_size"] = config.Vision.ImageSize,
            ["layers"] = config.Vision.Layers.Count == 1 ? JsonValue.Create(config.Vision.Layers[0]) : new JsonArray(config.Vision.Layers.Select(n => (JsonNode?)n).ToArray()),
            ["width"] = config.Vision.Width,
        };
        if (config.Vision.PatchSize is { } patch) vision["patch_size"] = patch;
        vision["head_width"] = config.Vision.HeadWidth;
        vision["mlp_ratio"] = config.Vision.MlpRatio;
        return new JsonObject
        {
            ["embed_dim"] = config.EmbedDim,
            ["quick_gelu"] = config.QuickGelu,
            ["vision_cfg"] = vision,
            ["text_cfg"] = new JsonObject
            {
                ["context_length"] = config.Text.ContextLength,
                ["vocab_size"] = config.Text.VocabSize,
                ["width"] = config.Text.Width,
                ["heads"] = config.Text.Heads,
                ["layers"] = config.Text.Layers,
                ["mlp_ratio"] = config.Text.MlpRatio,
            },
        };
    }

    public static ClipConfig Parse(string json, string? source)
    {
        using (var document = JsonFieldReader.ParseObject(json, source))
        {
            var reader = new JsonFieldReader();
            var root = document.RootElement;
            if (IsHuggingFaceConfig(root))
                throw new ClipConfigException(source, [
                    "is a Hugging Face CLIPModel config.json (text_config/vision_config), not an open_clip model config: " +
                    "read it with ClipConfig.FromHuggingFaceConfig"]);
            // The open_clip_config.json published beside hub checkpoints wraps the model config in "model_cfg".
            if (root.TryGetProperty("model_cfg", out var wrapped) && wrapped.ValueKind == JsonValueKind.Object) root = wrapped;
            reader.RejectUnsupported(root, "", TopFields);

            int embedDim = reader.RequiredInt(root, "embed_dim");
            bool quickGelu = reader.OptionalBool(root, "quick_gelu") ?? false;
            ClipVisionConfig? vision = null;
            ClipTextConfig? text = null;

            if (reader.RequiredObject(root, "vision_cfg") is { } v)
            {
                reader.RejectUnsupported(v, "vision_cfg.", VisionFields);
                vision = new ClipVisionConfig
                {
                    ImageSize = reader.RequiredInt(v, "image_size", "vision_cfg."),
                    Layers = reader.IntOrIntArray(v, "layers", "vision_cfg."),
                    Width = reader.RequiredInt(v, "width", "vision_cfg."),
                    PatchSize = reader.OptionalInt(v, "patch_size", "vision_cfg."),
                    HeadWidth = reader.OptionalInt(v, "head_width", "vision_cfg.") ?? 64,
                    MlpRatio = reader.OptionalDouble(v, "mlp_ratio", "vision_cfg.") ?? 4.0,
                };
            }

            if (reader.RequiredObject(root, "text_cfg") is { } t)
            {
                reader.RejectUnsupported(t, "text_cfg.", TextFields);
                text = new ClipTextConfig
                {
                    ContextLength = reader.OptionalInt(t, "context_length", "text_cfg.") ?? 77,
                    VocabSize = reader.OptionalInt(t, "vocab_size", "text_cfg.") ?? 49408,
                    Width = reader.RequiredInt(t, "width", "text_cfg."),
                    Heads = reader.RequiredInt(t, "heads", "text_cfg."),
                    Layers = reader.RequiredInt(t, "layers", "text_cfg."),
                    MlpRatio = reader.OptionalDouble(t, "mlp_ratio", "text_cfg.") ?? 4.0,
                };
            }

            if (reader.Problems.Count > 0) throw new ClipConfigException(source, reader.Problems);
            var config = new ClipConfig { EmbedDim = embedDim, QuickGelu = quickGelu, Vision = vision!, Text = text! };
            config.Validate(source);
            return config;
        }
    }
}

/// <summary>Typed access to JSON fields that records a message naming the field instead of throwing at the first problem.</summary>
internal sealed class JsonFieldReader
{
    public List<string> Problems { get; } = [];

    /// <summary>Parses <paramref name="json"/> (comments and trailing commas allowed) whose top level must be an object.</summary>
    public static JsonDocument ParseObject(string json, string? source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ClipConfigException(source, [$"is not valid JSON ({e.Message})"]);
        }
        if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
        document.Dispose();
        throw new ClipConfigException(source, ["the top level must be a JSON object"]);
    }

    /// <summary>
    /// Fields EdSam does not implement change the architecture (open_clip's <c>pool_type</c>, <c>attentional_pool</c>, …);
    /// ignoring them would give silently wrong outputs, so only null/false (feature off) is tolerated.
    /// </summary>
    public void RejectUnsupported(JsonElement obj, string prefix, IReadOnlyCollection<string> supported)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (supported.Contains(property.Name)) continue;
            if (property.Value.ValueKind is JsonValueKind.Null or JsonValueKind.False) continue;
            Problems.Add($"{prefix}{property.Name} is not supported by EdSam's CLIP (supported fields: {string.Join(", ", supported)})");
        }
    }

    public JsonElement? RequiredObject(JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            Problems.Add($"{prefix}{name} is missing");
            return null;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            Problems.Add($"{prefix}{name} must be a JSON object (got {value.ValueKind})");
            return null;
        }
        return value;
    }

    public JsonElement? OptionalObject(JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Object) return value;
        Problems.Add($"{prefix}{name} must be a JSON object (got {value.ValueKind})");
        return null;
    }

    public int RequiredInt(JsonElement obj, string name, string prefix = "")
    {
        int? value = OptionalInt(obj, name, prefix);
        if (value is null && !Problems.Any(p => p.StartsWith(prefix + name + " ", StringComparison.Ordinal)))
            Problems.Add($"{prefix}{name} is missing");
        return value ?? 0;
    }

    public int? OptionalInt(JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result)) return result;
        Problems.Add($"{prefix}{name} must be an integer (got {value.GetRawText()})");
        return null;
    }

    public double? OptionalDouble(JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double result)) return result;
        Problems.Add($"{prefix}{name} must be a number (got {value.GetRawText()})");
        return null;
    }

    public bool? OptionalBool(JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
        Problems.Add($"{prefix}{name} must be true or false (got {value.GetRawText()})");
        return null;
    }

    public string? OptionalString(JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        Problems.Add($"{prefix}{name} must be a string (got {value.GetRawText()})");
        return null;
    }

    public IReadOnlyList<int> IntOrIntArray(JsonElement obj, string name, string prefix)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            Problems.Add($"{prefix}{name} is missing");
            return [];
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int single)) return [single];
        if (value.ValueKind == JsonValueKind.Array)
        {
            var items = new List<int>();
            foreach (var item in value.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out int n)) items.Add(n);
                else
                {
                    Problems.Add($"{prefix}{name} must hold integers (got {value.GetRawText()})");
                    return [];
                }
            }
            if (items.Count == 4) return items;
        }
        Problems.Add($"{prefix}{name} must be an integer (ViT) or an array of 4 integers (ModifiedResNet), got {value.GetRawText()}");
        return [];
    }
}
