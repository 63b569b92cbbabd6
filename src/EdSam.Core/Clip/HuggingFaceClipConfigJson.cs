using System.Text.Json;

namespace EdSam.Clip;

/// <summary>
/// Maps a Hugging Face <c>CLIPModel</c> <c>config.json</c> onto the open_clip schema. Missing fields take the
/// Hugging Face <c>CLIPTextConfig</c>/<c>CLIPVisionConfig</c> defaults.
/// </summary>
internal static class HuggingFaceClipConfigJson
{
    public static ClipConfig Parse(string json, string? source)
    {
        using (var document = JsonFieldReader.ParseObject(json, source))
        {
            var root = document.RootElement;
            var r = new JsonFieldReader();
            int projection = r.OptionalInt(root, "projection_dim") ?? 512;
            var text = r.OptionalObject(root, "text_config");
            var vision = r.OptionalObject(root, "vision_config");
            if (text is null && vision is null && r.Problems.Count == 0)
                r.Problems.Add("text_config and vision_config are both missing: this does not look like a Hugging Face CLIPModel config.json");

            int tWidth = Int(r, text, "hidden_size", "text_config.", 512);
            int tIntermediate = Int(r, text, "intermediate_size", "text_config.", 2048);
            string tAct = Str(r, text, "hidden_act", "text_config.", "quick_gelu");
            var textConfig = new ClipTextConfig
            {
                Width = tWidth,
                Layers = Int(r, text, "num_hidden_layers", "text_config.", 12),
                Heads = Int(r, text, "num_attention_heads", "text_config.", 8),
                ContextLength = Int(r, text, "max_position_embeddings", "text_config.", 77),
                VocabSize = Int(r, text, "vocab_size", "text_config.", 49408),
                MlpRatio = tWidth > 0 ? (double)tIntermediate / tWidth : 0,
            };

            int vWidth = Int(r, vision, "hidden_size", "vision_config.", 768);
            int vHeads = Int(r, vision, "num_attention_heads", "vision_config.", 12);
            int vIntermediate = Int(r, vision, "intermediate_size", "vision_config.", 3072);
            string vAct = Str(r, vision, "hidden_act", "vision_config.", "quick_gelu");
            if (vHeads <= 0) r.Problems.Add($"vision_config.num_attention_heads must be positive (got {vHeads})");
            else if (vWidth % vHeads != 0) r.Problems.Add($"vision_config.hidden_size ({vWidth}) must be a multiple of vision_config.num_attention_heads ({vHeads})");
            var visionConfig = new ClipVisionConfig
            {
                Width = vWidth,
                Layers = [Int(r, vision, "num_hidden_layers", "vision_config.", 12)],
                PatchSize = Int(r, vision, "patch_size", "vision_config.", 32),
                ImageSize = Int(r, vision, "image_size", "vision_config.", 224),
                HeadWidth = vHeads > 0 ? vWidth / vHeads : 64,
                MlpRatio = vWidth > 0 ? (double)vIntermediate / vWidth : 0,
            };

            bool? textQuick = Activation(r, tAct, "text_config.hidden_act");
            bool? visionQuick = Activation(r, vAct, "vision_config.hidden_act");
            if (textQuick is not null && visionQuick is not null && textQuick != visionQuick)
                r.Problems.Add($"text_config.hidden_act ({tAct}) and vision_config.hidden_act ({vAct}) differ; EdSam's CLIP uses one activation for both towers");

            if (r.Problems.Count > 0) throw new ClipConfigException(source, r.Problems);
            var config = new ClipConfig { EmbedDim = projection, QuickGelu = textQuick ?? true, Vision = visionConfig, Text = textConfig };
            config.Validate(source);
            return config;
        }
    }

    private static int Int(JsonFieldReader r, JsonElement? obj, string name, string prefix, int fallback) =>
        obj is { } o ? r.OptionalInt(o, name, prefix) ?? fallback : fallback;

    private static string Str(JsonFieldReader r, JsonElement? obj, string name, string prefix, string fallback) =>
        obj is { } o ? r.OptionalString(o, name, prefix) ?? fallback : fallback;

    private static bool? Activation(JsonFieldReader r, string act, string field)
    {
        switch (act)
        {
            case "quick_gelu": return true;
            case "gelu": return false;
            default:
                r.Problems.Add($"{field} '{act}' is not supported (expected \"quick_gelu\" or \"gelu\")");
                return null;
        }
    }
}
