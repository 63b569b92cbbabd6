using EdSam.Distillation.Students;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Students;

public class VitBackboneTests
{
    /// <summary>timm's VisionTransformer state-dict layout (class-token pooling, no pre-norm), written out from its documented structure.</summary>
    private static List<string> TimmKeys(int depth)
    {
        var keys = new List<string> { "cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias" };
        for (int i = 0; i < depth; i++)
            foreach (string layer in new[] { "norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2" })
                keys.AddRange([$"blocks.{i}.{layer}.weight", $"blocks.{i}.{layer}.bias"]);
        keys.AddRange(["norm.weight", "norm.bias", "head.weight", "head.bias"]);
        return keys;
    }

    [Fact]
    public void Tiny_vit_has_timm_keys_and_shapes_and_returns_64_d_class_token_features()
    {
        using var model = new VitBackbone(VitConfig.Tiny);
        var state = model.state_dict();
        state.Keys.Should().BeEquivalentTo(TimmKeys(2));
        state["pos_embed"].shape.Should().Equal(1, 1 + 8 * 8, 64);
        state["cls_token"].shape.Should().Equal(1, 1, 64);
        state["patch_embed.proj.weight"].shape.Should().Equal(64, 3, 4, 4);
        state["blocks.1.attn.qkv.weight"].shape.Should().Equal(192, 64);
        state["blocks.0.mlp.fc1.weight"].shape.Should().Equal(256, 64);

        using var images = randn(3, 3, 32, 32);
        using var features = model.call(images);
        features.shape.Should().Equal(3, 64);
        // The final LayerNorm (weight 1, bias 0 at init) leaves every feature row with mean 0 and variance 1.
        using var mean = features.mean([1]);
        using var variance = features.var(1, unbiased: false);
        mean.abs().max().item<float>().Should().BeLessThan(1e-4f);
        variance.sub(1).abs().max().item<float>().Should().BeLessThan(1e-2f);
    }

    [Fact]
    public void Vit_small_16_has_timms_152_keys_and_22_050_664_parameters()
    {
        using var model = new VitBackbone(VitConfig.Small16);
        model.state_dict().Keys.Should().BeEquivalentTo(TimmKeys(12)).And.HaveCount(152);
        // DeiT-S / ViT-S/16 with a 1000-class head: 22,050,664 parameters (DeiT paper table, timm).
        model.parameters().Sum(p => p.numel()).Should().Be(22_050_664);
        model.FeatureDim.Should().Be(384);
        model.state_dict()["pos_embed"].shape.Should().Equal(1, 197, 384);
    }

    [Fact]
    public void Vit_base_16_has_86_567_656_parameters_and_768_d_features()
    {
        using var model = new VitBackbone(VitConfig.Base16);
        model.parameters().Sum(p => p.numel()).Should().Be(86_567_656); // ViT-B/16 with a 1000-class head
        model.FeatureDim.Should().Be(768);
        model.state_dict().Should().HaveCount(152);
    }

    [Fact]
    public void Features_are_the_class_token_and_depend_on_every_patch()
    {
        using var model = new VitBackbone(VitConfig.Tiny);
        model.eval();
        using var _ = no_grad();
        using var images = randn(1, 3, 32, 32);
        using var changed = images.clone();
        changed[0, 0, 31, 31] = changed[0, 0, 31, 31] + 5; // last patch only
        using var a = model.call(images);
        using var b = model.call(changed);
        a.allclose(b).Should().BeFalse("attention carries the last patch into the class token");
    }

    [Fact]
    public void Timm_initialisation_is_truncated_normal_002_for_linears_and_pos_embed()
    {
        using var model = new VitBackbone(VitConfig.Small16);
        var state = model.state_dict();
        foreach (string key in new[] { "blocks.0.attn.qkv.weight", "blocks.5.mlp.fc1.weight", "pos_embed" })
        {
            // N(0, 0.02²) truncated at ±2 (100σ): effectively untruncated, std 0.02.
            state[key].std().item<float>().Should().BeApproximately(0.02f, 0.001f, key);
        }
        state["blocks.0.attn.qkv.bias"].eq(0).all().item<bool>().Should().BeTrue();
        state["cls_token"].abs().max().item<float>().Should().BeLessThan(1e-4f);
    }

    [Fact]
    public void Rejects_images_of_another_size_naming_the_expected_one()
    {
        using var model = new VitBackbone(VitConfig.Tiny);
        using var images = randn(1, 3, 64, 64);
        model.Invoking(m => m.call(images)).Should().Throw<ArgumentException>().WithMessage("*32×32*[1, 3, 64, 64]*");
    }

    [Fact]
    public void Config_validation_lists_every_wrong_field()
    {
        var bad = new VitConfig(ImageSize: 30, PatchSize: 4, Width: 64, Depth: 0, Heads: 5);
        bad.Invoking(c => c.Validate()).Should().Throw<ArgumentException>()
            .Which.Message.Should().ContainAll("PatchSize", "Depth", "Heads");
    }
}
