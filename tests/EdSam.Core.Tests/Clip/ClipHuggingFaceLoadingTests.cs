using System.Text.RegularExpressions;
using EdSam.Clip;
using EdSam.Tests.IO;
using EdSam.IO;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

/// <summary>
/// Loads the tiny-vit fixture after converting it to Hugging Face <c>CLIPModel</c> names with a mapping written
/// here, independently of the library's converter, and checks the reference outputs still come out.
/// </summary>
public sealed class ClipHuggingFaceLoadingTests : IDisposable
{
    private readonly TemporaryFolder _temp = new("edsam-clip-hf-");

    private string _folder => _temp.FullName;

    public void Dispose() => _temp.Dispose();

    [SkippableFact]
    public void Hugging_Face_layout_loads_and_matches_the_reference()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        string weights = Path.Combine(_folder, "model.safetensors");
        string configPath = Path.Combine(_folder, "config.json");
        var openAi = SafeTensors.Load(fixture.WeightsPath);
        var hf = ToHuggingFace(openAi);
        SafeTensors.Save(weights, hf);
        foreach (var t in openAi.Values.Concat(hf.Values)) t.Dispose();
        File.WriteAllText(configPath, """
            {
              "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 32, "logit_scale_init_value": 2.6592,
              "text_config": { "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "max_position_embeddings": 77,
                               "vocab_size": 1000, "intermediate_size": 256, "hidden_act": "quick_gelu" },
              "vision_config": { "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 1, "patch_size": 8,
                                 "image_size": 32, "intermediate_size": 256, "hidden_act": "quick_gelu" }
            }
            """);

        var config = ClipConfig.FromHuggingFaceConfig(configPath);
        config.Should().Be(ClipConfig.FromJson(fixture.ConfigPath), "the HF config describes the same architecture");

        using var model = ClipModel.FromPretrained(config, weights);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        ClipFixture.MaxAbsError(model.EncodeImage(fixture.Images), fixture.IO["image_features"]).Should().BeLessThanOrEqualTo(1e-4);
        ClipFixture.MaxAbsError(model.EncodeText(fixture.Tokens), fixture.IO["text_features"]).Should().BeLessThanOrEqualTo(1e-4);
        var (perImage, perText) = model.call(fixture.Images, fixture.Tokens);
        ClipFixture.MaxAbsError(perImage, fixture.IO["logits_per_image"]).Should().BeLessThanOrEqualTo(1e-4);
        ClipFixture.MaxAbsError(perText, fixture.IO["logits_per_text"]).Should().BeLessThanOrEqualTo(1e-4);
    }

    [Fact]
    public void Hugging_Face_config_with_an_unsupported_activation_names_the_field()
    {
        string configPath = Path.Combine(_folder, "config.json");
        File.WriteAllText(configPath, """{ "projection_dim": 32, "text_config": { "hidden_act": "relu" }, "vision_config": {} }""");
        var act = () => ClipConfig.FromHuggingFaceConfig(configPath);
        act.Should().Throw<ClipConfigException>().WithMessage("*text_config.hidden_act*relu*");
    }

    [Fact]
    public void Hugging_Face_config_defaults_are_those_of_clip_vit_base_patch32()
    {
        string configPath = Path.Combine(_folder, "config.json");
        File.WriteAllText(configPath, """{ "projection_dim": 512, "text_config": {}, "vision_config": {} }""");
        var config = ClipConfig.FromHuggingFaceConfig(configPath);
        config.Should().Be(ClipConfig.Named("ViT-B-32"));
    }

    /// <summary>OpenAI → Hugging Face names (the inverse of what the loader does), written independently.</summary>
    private static Dictionary<string, Tensor> ToHuggingFace(Dictionary<string, Tensor> sd)
    {
        var hf = new Dictionary<string, Tensor>();
        var block = new Regex(@"^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)$");
        foreach (var (key, value) in sd)
        {
            var m = block.Match(key);
            if (m.Success)
            {
                string tower = m.Groups[1].Success ? "vision_model" : "text_model";
                string prefix = $"{tower}.encoder.layers.{m.Groups[2].Value}.";
                string rest = m.Groups[3].Value;
                if (rest is "attn.in_proj_weight" or "attn.in_proj_bias")
                {
                    string kind = rest.EndsWith("weight") ? "weight" : "bias";
                    var chunks = value.chunk(3, 0);
                    hf[$"{prefix}self_attn.q_proj.{kind}"] = chunks[0].clone();
                    hf[$"{prefix}self_attn.k_proj.{kind}"] = chunks[1].clone();
                    hf[$"{prefix}self_attn.v_proj.{kind}"] = chunks[2].clone();
                    continue;
                }
                string mapped = rest switch
                {
                    _ when rest.StartsWith("ln_1.") => "layer_norm1." + rest[5..],
                    _ when rest.StartsWith("ln_2.") => "layer_norm2." + rest[5..],
                    _ when rest.StartsWith("attn.out_proj.") => "self_attn.out_proj." + rest["attn.out_proj.".Length..],
                    _ when rest.StartsWith("mlp.c_fc.") => "mlp.fc1." + rest["mlp.c_fc.".Length..],
                    _ when rest.StartsWith("mlp.c_proj.") => "mlp.fc2." + rest["mlp.c_proj.".Length..],
                    _ => throw new InvalidOperationException("unmapped " + key),
                };
                hf[prefix + mapped] = value.clone();
                continue;
            }
            string target = key switch
            {
                "logit_scale" => "logit_scale",
                "token_embedding.weight" => "text_model.embeddings.token_embedding.weight",
                "positional_embedding" => "text_model.embeddings.position_embedding.weight",
                "ln_final.weight" => "text_model.final_layer_norm.weight",
                "ln_final.bias" => "text_model.final_layer_norm.bias",
                "visual.class_embedding" => "vision_model.embeddings.class_embedding",
                "visual.conv1.weight" => "vision_model.embeddings.patch_embedding.weight",
                "visual.positional_embedding" => "vision_model.embeddings.position_embedding.weight",
                "visual.ln_pre.weight" => "vision_model.pre_layrnorm.weight",
                "visual.ln_pre.bias" => "vision_model.pre_layrnorm.bias",
                "visual.ln_post.weight" => "vision_model.post_layernorm.weight",
                "visual.ln_post.bias" => "vision_model.post_layernorm.bias",
                "visual.proj" => "visual_projection.weight",
                "text_projection" => "text_projection.weight",
                _ => throw new InvalidOperationException("unmapped " + key),
            };
            // HF stores the projections as nn.Linear weights [out, in]: the transpose of OpenAI's x @ proj matrix.
            hf[target] = target.EndsWith("projection.weight") ? value.t().contiguous() : value.clone();
        }
        hf["vision_model.embeddings.position_ids"] = arange(17L).unsqueeze(0);
        hf["text_model.embeddings.position_ids"] = arange(77L).unsqueeze(0);
        return hf;
    }
}
