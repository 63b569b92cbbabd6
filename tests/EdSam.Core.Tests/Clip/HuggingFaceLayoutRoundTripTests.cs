using EdSam.Clip;
using EdSam.IO;
using EdSam.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

/// <summary>OpenAI → Hugging Face key conversion (<see cref="ClipCheckpointLoader.ToHuggingFaceLayout"/>), checked against
/// slices of the original tensors and by the round trip through the existing Hugging Face → OpenAI step.</summary>
public sealed class HuggingFaceLayoutRoundTripTests
{
    [SkippableFact]
    public void OpenAi_to_hf_to_openai_reproduces_every_tensor_of_the_tiny_fixture_exactly()
    {
        var original = SafeTensors.Load(SharedFixtures.Clip("tiny-vit.safetensors"));
        try
        {
            var copy = original.ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            var hf = ClipCheckpointLoader.ToHuggingFaceLayout(copy);
            ClipCheckpointLoader.IsHuggingFaceLayout(hf).Should().BeTrue();
            var back = ClipCheckpointLoader.ConvertLayout(hf);
            try
            {
                back.Keys.Should().BeEquivalentTo(original.Keys);
                foreach (var (key, tensor) in original)
                {
                    back[key].shape.Should().Equal(tensor.shape, key);
                    back[key].dtype.Should().Be(tensor.dtype, key);
                    Same(back[key], tensor).Should().BeTrue($"{key} should survive the round trip bit for bit");
                }
            }
            finally { foreach (var t in back.Values) t.Dispose(); }
        }
        finally { foreach (var t in original.Values) t.Dispose(); }
    }

    [SkippableFact]
    public void Hf_names_hold_the_q_k_v_thirds_and_transposed_projections()
    {
        var original = SafeTensors.Load(SharedFixtures.Clip("tiny-vit.safetensors"));
        var hf = ClipCheckpointLoader.ToHuggingFaceLayout(original.ToDictionary(kv => kv.Key, kv => kv.Value.clone()));
        try
        {
            var inProj = original["visual.transformer.resblocks.1.attn.in_proj_weight"];
            long width = inProj.shape[0] / 3;
            string[] names = ["q", "k", "v"];
            for (int i = 0; i < 3; i++)
            {
                using var expected = inProj.narrow(0, i * width, width);
                Same(hf[$"vision_model.encoder.layers.1.self_attn.{names[i]}_proj.weight"], expected).Should().BeTrue();
            }
            using var bias = original["transformer.resblocks.0.attn.in_proj_bias"].narrow(0, width, width);
            Same(hf["text_model.encoder.layers.0.self_attn.k_proj.bias"], bias).Should().BeTrue();
            using var visualProjT = original["visual.proj"].t();
            Same(hf["visual_projection.weight"], visualProjT).Should().BeTrue();
            using var textProjT = original["text_projection"].t();
            Same(hf["text_projection.weight"], textProjT).Should().BeTrue();
            hf.Should().ContainKeys("vision_model.pre_layrnorm.weight", "vision_model.post_layernorm.bias", "text_model.final_layer_norm.weight",
                "vision_model.embeddings.patch_embedding.weight", "text_model.embeddings.token_embedding.weight",
                "vision_model.encoder.layers.0.mlp.fc1.weight", "text_model.encoder.layers.1.layer_norm2.bias", "logit_scale");
            hf.Keys.Should().NotContain(k => k.StartsWith("visual.", StringComparison.Ordinal) || k.Contains("resblocks", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var t in original.Values) t.Dispose();
            foreach (var t in hf.Values) t.Dispose();
        }
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();

    [SkippableFact]
    public void A_resnet_checkpoint_is_refused_with_a_reason()
    {
        var original = SafeTensors.Load(SharedFixtures.Clip("tiny-rn.safetensors"));
        try
        {
            var act = () => ClipCheckpointLoader.ToHuggingFaceLayout(original);
            act.Should().Throw<NotSupportedException>().WithMessage("*ResNet*");
        }
        finally { foreach (var t in original.Values) t.Dispose(); }
    }
}
