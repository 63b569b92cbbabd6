using EdSam.Clip;
using EdSam.Tests.IO;
using EdSam.IO;
using EdSam.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

public sealed class ClipCheckpointLoaderTests : IDisposable
{
    private readonly TemporaryFolder _temp = new("edsam-clip-load-");

    private string _folder => _temp.FullName;

    public void Dispose() => _temp.Dispose();

    [SkippableFact]
    public void Strict_load_names_every_missing_unexpected_and_misshaped_key_in_one_exception()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        var sd = SafeTensors.Load(fixture.WeightsPath);
        sd.Remove("visual.ln_pre.bias", out var removed);
        removed!.Dispose();
        sd["visual.surplus_weight"] = zeros(3);
        sd["visual.proj"].Dispose();
        sd["visual.proj"] = zeros(64, 31);
        string path = Path.Combine(_folder, "broken.safetensors");
        SafeTensors.Save(path, sd);
        foreach (var t in sd.Values) t.Dispose();

        var act = () => ClipModel.FromPretrained(fixture.ConfigPath, path);

        var error = act.Should().Throw<StateDictMismatchException>().Which;
        error.MissingKeys.Should().Equal("visual.ln_pre.bias");
        error.UnexpectedKeys.Should().Equal("visual.surplus_weight");
        error.ShapeMismatches.Should().ContainSingle().Which.Should().Be("visual.proj: checkpoint [64, 31] vs model [64, 32]");
        error.Message.Should().Contain("visual.ln_pre.bias").And.Contain("visual.surplus_weight").And.Contain("visual.proj").And.Contain(path);
    }

    [SkippableFact]
    public void Weights_loaded_with_the_wrong_config_name_the_config_they_were_compared_with()
    {
        // The ResNet fixture's weights against the ViT fixture's config: the message says which architecture was expected.
        var act = () => ClipModel.FromPretrained(SharedFixtures.Clip("tiny-vit.config.json"), SharedFixtures.Clip("tiny-rn.safetensors"));

        var error = act.Should().Throw<StateDictMismatchException>().Which;
        // The registry is process-wide: another test may have registered this architecture under a name ("ClipConfig 'zoo-a' (…)").
        const string size = "(ViT, 2 layers, width 64, patch 8, 32 px; text 2 layers, width 64, vocab_size 1000; embed_dim 32)";
        error.ComparedWith.Should().StartWith("ClipConfig ").And.EndWith(size);
        error.Message.Should().StartWith($"Checkpoint '{SharedFixtures.Clip("tiny-rn.safetensors")}' does not match the ClipModel built from {error.ComparedWith} (");
        error.MissingKeys.Should().Contain("visual.class_embedding", "a ViT has a class token, a ModifiedResNet none");
    }

    [Fact]
    public void A_registered_config_is_described_by_its_name_and_size()
    {
        // open_clip's ViT-B-32: 12 vision layers of width 768 on 32-pixel patches at 224 px, a 12-layer width-512 text tower.
        ClipCheckpointLoader.Describe(ClipConfig.Named("ViT-B-32")).Should().Be(
            "ClipConfig 'ViT-B-32' (ViT, 12 layers, width 768, patch 32, 224 px; text 12 layers, width 512, vocab_size 49408; embed_dim 512)");
        var unregistered = ClipConfig.Named("ViT-B-32") with { EmbedDim = 24 };   // no registered config has this size
        ClipCheckpointLoader.Describe(unregistered).Should().Be(
            "ClipConfig (ViT, 12 layers, width 768, patch 32, 224 px; text 12 layers, width 512, vocab_size 49408; embed_dim 24)");
        ClipCheckpointLoader.Describe(ClipConfig.Named("RN50")).Should().StartWith(
            "ClipConfig 'RN50' (ModifiedResNet, layers [3, 4, 6, 3], width 64, 224 px; text 12 layers, width 512, vocab_size 49408; embed_dim 1024)");
    }

    [SkippableFact]
    public void Half_precision_checkpoints_like_OpenAIs_load_into_an_fp32_model()
    {
        // OpenAI published its CLIP weights in fp16; a DataParallel "module." prefix and a 1-d logit_scale on top.
        using var fixture = ClipFixture.Open("tiny-vit");
        var sd = SafeTensors.Load(fixture.WeightsPath);
        var half = sd.ToDictionary(kv => "module." + kv.Key, kv => kv.Key == "logit_scale" ? kv.Value.reshape(1).clone() : kv.Value.to(ScalarType.Float16));
        string path = Path.Combine(_folder, "fp16.safetensors");
        SafeTensors.Save(path, half);
        foreach (var t in sd.Values.Concat(half.Values)) t.Dispose();

        using var model = ClipModel.FromPretrained(fixture.ConfigPath, path);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var features = model.EncodeImage(fixture.Images);
        features.dtype.Should().Be(ScalarType.Float32);
        nn.functional.cosine_similarity(features, fixture.IO["image_features"], dim: 1).min().item<float>().Should().BeGreaterThan(0.999f);
    }

    [SkippableFact]
    public void A_failed_strict_load_changes_no_parameter()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using var model = new ClipModel(ClipConfig.FromJson(fixture.ConfigPath));
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var sd = SafeTensors.Load(fixture.WeightsPath);
        sd.Remove("logit_scale", out var scale);
        scale!.Dispose();

        var act = () => ClipCheckpointLoader.LoadStrict(model, sd, "in-memory");

        act.Should().Throw<StateDictMismatchException>().Which.MissingKeys.Should().Equal("logit_scale");
        foreach (var (key, value) in model.state_dict()) value.allclose(before[key], rtol: 0, atol: 0).Should().BeTrue(key);
        foreach (var t in sd.Values.Concat(before.Values)) t.Dispose();
    }

    [Fact]
    public void Fix_quirks_strips_module_prefix_squeezes_logit_scale_and_drops_non_weights()
    {
        var sd = new Dictionary<string, Tensor>
        {
            ["module.logit_scale"] = tensor(new[] { 4.6f }),
            ["module.visual.proj"] = ones(2, 2),
            ["module.input_resolution"] = tensor(224L),
            ["module.text_model.embeddings.position_ids"] = arange(3L),
        };

        ClipCheckpointLoader.FixQuirks(sd);

        sd.Keys.Should().BeEquivalentTo("logit_scale", "visual.proj");
        sd["logit_scale"].shape.Should().BeEmpty();
        sd["logit_scale"].item<float>().Should().Be(4.6f);
        foreach (var t in sd.Values) t.Dispose();
    }

    [Fact]
    public void Pickle_checkpoints_are_refused_with_a_message()
    {
        string path = Path.Combine(_folder, "model.bin");
        File.WriteAllBytes(path, [0x80, 0x02, 0x7d]);
        var act = () => ClipCheckpointLoader.ReadStateDict(path);
        act.Should().Throw<Exception>().WithMessage("*safetensors*");
    }

    [Fact]
    public void Layouts_without_Hugging_Face_keys_pass_through_unchanged()
    {
        var sd = new Dictionary<string, Tensor> { ["visual.proj"] = ones(2, 2) };
        ClipCheckpointLoader.ConvertLayout(sd).Should().BeSameAs(sd);
        sd["visual.proj"].Dispose();
    }

    [Fact]
    public void Incomplete_Hugging_Face_attention_is_reported_not_guessed()
    {
        var sd = new Dictionary<string, Tensor>
        {
            ["text_model.encoder.layers.0.self_attn.q_proj.weight"] = ones(4, 4),
            ["text_model.encoder.layers.0.self_attn.k_proj.weight"] = ones(4, 4),
        };
        var converted = ClipCheckpointLoader.ConvertLayout(sd);
        converted.Keys.Should().HaveCount(2).And.OnlyContain(k => k.Contains("transformer.resblocks.0.attn.in_proj_weight") && k.Contains("without its siblings"));
        foreach (var t in converted.Values) t.Dispose();
    }
}
