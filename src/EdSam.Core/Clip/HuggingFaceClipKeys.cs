using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace EdSam.Clip;

/// <summary>
/// Converts a Hugging Face <c>CLIPModel</c> state dict (<c>vision_model.*</c>, <c>text_model.*</c>) to OpenAI
/// names: q/k/v projections are concatenated into <c>in_proj_weight</c>/<c>in_proj_bias</c>, the
/// <c>visual_projection</c>/<c>text_projection</c> Linear weights are transposed into matrices used as
/// <c>x @ proj</c>, and <c>position_ids</c> buffers are dropped. Keys it does not know are kept unchanged so the
/// strict load reports them.
/// </summary>
internal static partial class HuggingFaceClipKeys
{
    /// <summary>True when the state dict uses Hugging Face's <c>CLIPModel</c> layout.</summary>
    public static bool IsHuggingFaceLayout(IReadOnlyDictionary<string, Tensor> stateDict) =>
        stateDict.Keys.Any(k => k.StartsWith("vision_model.", StringComparison.Ordinal) || k.StartsWith("text_model.", StringComparison.Ordinal));

    /// <summary>Returns a new dictionary with OpenAI names; tensors not converted are moved over, replaced ones are disposed.</summary>
    public static Dictionary<string, Tensor> ToOpenAi(Dictionary<string, Tensor> hf)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var qkv = new Dictionary<string, Tensor?[]>(StringComparer.Ordinal); // "<openai block prefix>attn.in_proj_{weight|bias}" → [q, k, v]

        foreach (var (key, value) in hf)
        {
            if (key.EndsWith("embeddings.position_ids", StringComparison.Ordinal))
            {
                value.Dispose();
                continue;
            }

            var layer = LayerKey().Match(key);
            if (layer.Success)
            {
                string prefix = (layer.Groups["tower"].Value == "vision_model" ? "visual." : "") + $"transformer.resblocks.{layer.Groups["index"].Value}.";
                string rest = layer.Groups["rest"].Value;
                var projection = QkvKey().Match(rest);
                if (projection.Success)
                {
                    string target = $"{prefix}attn.in_proj_{projection.Groups["kind"].Value}";
                    if (!qkv.TryGetValue(target, out var parts)) qkv[target] = parts = new Tensor?[3];
                    parts["qkv".IndexOf(projection.Groups["which"].Value[0])] = value;
                    continue;
                }
                result[prefix + BlockPart(rest)] = value;
                continue;
            }

            switch (key)
            {
                case "visual_projection.weight":
                    result["visual.proj"] = TransposeOwned(value);
                    continue;
                case "text_projection.weight":
                    result["text_projection"] = TransposeOwned(value);
                    continue;
            }
            result[Rename(key)] = value;
        }

        foreach (var (target, parts) in qkv)
        {
            if (parts.All(p => p is not null))
            {
                result[target] = cat(parts!, 0);
                foreach (var part in parts) part!.Dispose();
                continue;
            }
            // Incomplete: keep the pieces under their original names so the strict load names them.
            string kind = target.EndsWith("weight", StringComparison.Ordinal) ? "weight" : "bias";
            for (int i = 0; i < 3; i++)
                if (parts[i] is { } part) result[$"{target}:{"qkv"[i]}_proj.{kind} (Hugging Face, without its siblings)"] = part;
        }
        return result;
    }

    /// <summary>
    /// The inverse of <see cref="ToOpenAi"/>: returns a new dictionary with Hugging Face <c>CLIPModel</c> names.
    /// <c>attn.in_proj_weight</c>/<c>in_proj_bias</c> are split into equal q/k/v thirds, <c>visual.proj</c> and
    /// <c>text_projection</c> are transposed into Linear weights. Keys it does not know are kept unchanged.
    /// Converted tensors are moved over (split and transposed ones are new; their sources are disposed).
    /// </summary>
    /// <exception cref="NotSupportedException">The state dict has a ResNet image tower (Hugging Face's <c>CLIPModel</c> has none).</exception>
    /// <exception cref="ArgumentException">An <c>in_proj</c> tensor's first dimension is not divisible by 3.</exception>
    public static Dictionary<string, Tensor> ToHuggingFace(Dictionary<string, Tensor> openAi)
    {
        if (openAi.Keys.Any(k => k.StartsWith("visual.layer1.", StringComparison.Ordinal) || k.StartsWith("visual.attnpool.", StringComparison.Ordinal)))
            throw new NotSupportedException(
                "This checkpoint has a ResNet image tower (visual.layer1…, visual.attnpool…); Hugging Face's CLIPModel only has ViT towers, so it has no Hugging Face layout.");

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in openAi)
        {
            var block = OpenAiLayerKey().Match(key);
            if (block.Success)
            {
                string prefix = (block.Groups["visual"].Success ? "vision_model" : "text_model") + $".encoder.layers.{block.Groups["index"].Value}.";
                string rest = block.Groups["rest"].Value;
                if (rest is "attn.in_proj_weight" or "attn.in_proj_bias")
                {
                    string kind = rest.EndsWith("weight", StringComparison.Ordinal) ? "weight" : "bias";
                    if (value.shape[0] % 3 != 0)
                        throw new ArgumentException($"'{key}' has {value.shape[0]} rows, which cannot be split into equal q, k and v projections.", nameof(openAi));
                    var parts = value.chunk(3, 0);
                    for (int i = 0; i < 3; i++) result[$"{prefix}self_attn.{"qkv"[i]}_proj.{kind}"] = parts[i].contiguous();
                    foreach (var part in parts) part.Dispose();
                    value.Dispose();
                    continue;
                }
                result[prefix + HuggingFaceBlockPart(rest)] = value;
                continue;
            }

            switch (key)
            {
                case "visual.proj":
                    result["visual_projection.weight"] = TransposeOwned(value);
                    continue;
                case "text_projection":
                    result["text_projection.weight"] = TransposeOwned(value);
                    continue;
            }
            result[HuggingFaceName(key)] = value;
        }
        return result;
    }

    private static Tensor TransposeOwned(Tensor linearWeight)
    {
        var matrix = linearWeight.t().contiguous();
        linearWeight.Dispose();
        return matrix;
    }

    private static string BlockPart(string rest) => rest
        .Replace("layer_norm1.", "ln_1.", StringComparison.Ordinal)
        .Replace("layer_norm2.", "ln_2.", StringComparison.Ordinal)
        .Replace("self_attn.out_proj.", "attn.out_proj.", StringComparison.Ordinal)
        .Replace("mlp.fc1.", "mlp.c_fc.", StringComparison.Ordinal)
        .Replace("mlp.fc2.", "mlp.c_proj.", StringComparison.Ordinal);

    private static string Rename(string key) => key switch
    {
        "vision_model.embeddings.class_embedding" => "visual.class_embedding",
        "vision_model.embeddings.patch_embedding.weight" => "visual.conv1.weight",
        "vision_model.embeddings.position_embedding.weight" => "visual.positional_embedding",
        "text_model.embeddings.token_embedding.weight" => "token_embedding.weight",
        "text_model.embeddings.position_embedding.weight" => "positional_embedding",
        _ when key.StartsWith("vision_model.pre_layrnorm.", StringComparison.Ordinal) => "visual.ln_pre." + key["vision_model.pre_layrnorm.".Length..],
        _ when key.StartsWith("vision_model.post_layernorm.", StringComparison.Ordinal) => "visual.ln_post." + key["vision_model.post_layernorm.".Length..],
        _ when key.StartsWith("text_model.final_layer_norm.", StringComparison.Ordinal) => "ln_final." + key["text_model.final_layer_norm.".Length..],
        _ => key,
    };

    private static string HuggingFaceBlockPart(string rest) => rest
        .Replace("ln_1.", "layer_norm1.", StringComparison.Ordinal)
        .Replace("ln_2.", "layer_norm2.", StringComparison.Ordinal)
        .Replace("attn.out_proj.", "self_attn.out_proj.", StringComparison.Ordinal)
        .Replace("mlp.c_fc.", "mlp.fc1.", StringComparison.Ordinal)
        .Replace("mlp.c_proj.", "mlp.fc2.", StringComparison.Ordinal);

    private static string HuggingFaceName(string key) => key switch
    {
        "visual.class_embedding" => "vision_model.embeddings.class_embedding",
        "visual.conv1.weight" => "vision_model.embeddings.patch_embedding.weight",
        "visual.positional_embedding" => "vision_model.embeddings.position_embedding.weight",
        "token_embedding.weight" => "text_model.embeddings.token_embedding.weight",
        "positional_embedding" => "text_model.embeddings.position_embedding.weight",
        _ when key.StartsWith("visual.ln_pre.", StringComparison.Ordinal) => "vision_model.pre_layrnorm." + key["visual.ln_pre.".Length..],
        _ when key.StartsWith("visual.ln_post.", StringComparison.Ordinal) => "vision_model.post_layernorm." + key["visual.ln_post.".Length..],
        _ when key.StartsWith("ln_final.", StringComparison.Ordinal) => "text_model.final_layer_norm." + key["ln_final.".Length..],
        _ => key,
    };

    [GeneratedRegex(@"^(?<visual>visual\.)?transformer\.resblocks\.(?<index>\d+)\.(?<rest>.+)$")]
    private static partial Regex OpenAiLayerKey();

    [GeneratedRegex(@"^(?<tower>vision_model|text_model)\.encoder\.layers\.(?<index>\d+)\.(?<rest>.+)$")]
    private static partial Regex LayerKey();

    [GeneratedRegex(@"^self_attn\.(?<which>[qkv])_proj\.(?<kind>weight|bias)$")]
    private static partial Regex QkvKey();
}
