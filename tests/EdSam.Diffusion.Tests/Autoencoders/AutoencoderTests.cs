using EdSam.Diffusion.Autoencoders;
using EdSam.Diffusion.Models;
using EdSam.Diffusion.Tests.TestSupport;
using EdSam.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Autoencoders;

public class IdentityAutoencoderTests
{
    [Fact]
    public void Encode_maps_unit_interval_to_minus_one_one_and_Decode_inverts_it()
    {
        var autoencoder = new IdentityAutoencoder(3);
        using var images = tensor(new float[] { 0f, 0.25f, 1f }).reshape(1, 3, 1, 1);

        using var latents = autoencoder.Encode(images);
        using var back = autoencoder.Decode(latents);

        latents.data<float>().ToArray().Should().Equal(-1f, -0.5f, 1f);
        back.allclose(images, rtol: 0, atol: 1e-7).Should().BeTrue();
        (autoencoder.DownscaleFactor, autoencoder.ScalingFactor, autoencoder.LatentChannels).Should().Be((1, 1.0, 3));
    }

    [Fact]
    public void Wrong_channel_counts_are_rejected()
    {
        using var gray = zeros(1, 1, 4, 4);
        FluentActions.Invoking(() => new IdentityAutoencoder(3).Encode(gray)).Should().Throw<ArgumentException>().WithMessage("Expected [N, 3, H, W], got [1, 1, 4, 4]*");
    }
}

public class AutoencoderKLTests
{
    private static readonly AutoencoderKLConfig Tiny = new()
    {
        BlockOutChannels = [8, 16], LayersPerBlock = 1, NormNumGroups = 4, LatentChannels = 2,
    };

    /// <summary>The diffusers AutoencoderKL state-dict keys, spelled out from its module tree for a given config.</summary>
    private static IEnumerable<string> DiffusersKeys(AutoencoderKLConfig c)
    {
        IEnumerable<string> Resnet(string prefix, bool shortcut) =>
            new[] { "norm1.weight", "norm1.bias", "conv1.weight", "conv1.bias", "norm2.weight", "norm2.bias", "conv2.weight", "conv2.bias" }
                .Concat(shortcut ? new[] { "conv_shortcut.weight", "conv_shortcut.bias" } : [])
                .Select(k => $"{prefix}.{k}");
        IEnumerable<string> Conv(string prefix) => new[] { $"{prefix}.weight", $"{prefix}.bias" };
        IEnumerable<string> Mid(string prefix) =>
            Resnet($"{prefix}.resnets.0", false).Concat(Resnet($"{prefix}.resnets.1", false))
                .Concat(new[] { "group_norm", "to_q", "to_k", "to_v", "to_out.0" }.SelectMany(n => Conv($"{prefix}.attentions.0.{n}")));

        var keys = new List<string>();
        var ch = c.BlockOutChannels;
        keys.AddRange(Conv("encoder.conv_in"));
        for (int i = 0; i < ch.Count; i++)
        {
            for (int j = 0; j < c.LayersPerBlock; j++)
                keys.AddRange(Resnet($"encoder.down_blocks.{i}.resnets.{j}", j == 0 && i > 0 && ch[i - 1] != ch[i]));
            if (i < ch.Count - 1) keys.AddRange(Conv($"encoder.down_blocks.{i}.downsamplers.0.conv"));
        }
        keys.AddRange(Mid("encoder.mid_block"));
        keys.AddRange(Conv("encoder.conv_norm_out"));
        keys.AddRange(Conv("encoder.conv_out"));
        keys.AddRange(Conv("quant_conv"));
        keys.AddRange(Conv("post_quant_conv"));
        keys.AddRange(Conv("decoder.conv_in"));
        keys.AddRange(Mid("decoder.mid_block"));
        var reversed = ch.Reverse().ToArray();
        for (int i = 0; i < reversed.Length; i++)
        {
            for (int j = 0; j <= c.LayersPerBlock; j++)
                keys.AddRange(Resnet($"decoder.up_blocks.{i}.resnets.{j}", j == 0 && i > 0 && reversed[i - 1] != reversed[i]));
            if (i < reversed.Length - 1) keys.AddRange(Conv($"decoder.up_blocks.{i}.upsamplers.0.conv"));
        }
        keys.AddRange(Conv("decoder.conv_norm_out"));
        keys.AddRange(Conv("decoder.conv_out"));
        return keys;
    }

    [Fact]
    public void State_dict_keys_are_exactly_the_diffusers_layout()
    {
        using var vae = new AutoencoderKL(Tiny);
        vae.state_dict().Keys.Should().BeEquivalentTo(DiffusersKeys(Tiny));
        vae.state_dict()["encoder.conv_out.weight"].shape.Should().Equal(4, 16, 3, 3);   // mean and log-variance
        vae.state_dict()["encoder.mid_block.attentions.0.to_q.weight"].shape.Should().Equal(16, 16);
    }

    [Fact]
    public void Stable_Diffusion_config_has_the_published_size()
    {
        // Published: the SD 1.x VAE has 83,653,863 parameters and downscales by 8 into 4 channels.
        using var vae = new AutoencoderKL();
        vae.parameters().Sum(p => p.numel()).Should().Be(83_653_863);
        (vae.DownscaleFactor, vae.LatentChannels, vae.ScalingFactor).Should().Be((8, 4, 0.18215));
    }

    [Fact]
    public void Encode_and_Decode_have_the_latent_and_image_shapes()
    {
        using var vae = new AutoencoderKL(Tiny);
        using var images = rand(2, 3, 16, 16);

        using var latents = vae.Encode(images);
        using var decoded = vae.Decode(latents);
        using var posterior = vae.EncodeDistribution(images);
        using var sample = posterior.Sample(new Generator(1));

        latents.shape.Should().Equal(2, 2, 8, 8);
        decoded.shape.Should().Equal(2, 3, 16, 16);
        sample.shape.Should().Equal(2, 2, 8, 8);
        latents.allclose(posterior.Mean * Tiny.ScalingFactor, rtol: 1e-6, atol: 1e-7).Should().BeTrue();
        posterior.KlDivergence().shape.Should().Equal(2);
        FluentActions.Invoking(() => vae.Encode(zeros(1, 3, 15, 16))).Should().Throw<ArgumentException>().WithMessage("*divisible by 2*");
    }

    [Fact]
    public void Save_and_Load_round_trip_through_safetensors()
    {
        using var folder = new TemporaryFolder();
        using var vae = new AutoencoderKL(Tiny with { ScalingFactor = 0.5 });
        vae.Save(folder.Path);

        using var loaded = AutoencoderKL.Load(folder.Path);
        using var images = rand(1, 3, 8, 8);
        using var expected = vae.call(images);
        using var actual = loaded.call(images);

        loaded.Config.Should().Be(vae.Config);
        SafeTensors.Load(Path.Combine(folder.Path, AutoencoderKL.WeightsFileName)).Keys.Should().BeEquivalentTo(DiffusersKeys(Tiny));
        actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void FromPretrained_reads_a_diffusers_config_and_legacy_attention_names()
    {
        using var folder = new TemporaryFolder();
        using var vae = new AutoencoderKL(Tiny);
        string config = Path.Combine(folder.Path, "config.json");
        File.WriteAllText(config, """
            {"_class_name": "AutoencoderKL", "_diffusers_version": "0.6.0", "act_fn": "silu", "block_out_channels": [8, 16],
             "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"], "in_channels": 3, "latent_channels": 2,
             "layers_per_block": 1, "norm_num_groups": 4, "out_channels": 3, "sample_size": 16, "scaling_factor": 0.18215,
             "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"]}
            """);
        // Old diffusers checkpoints: query/key/value/proj_attn, some as 1×1 convolutions.
        var legacy = vae.state_dict().ToDictionary(
            e => e.Key.Replace(".to_q.", ".query.").Replace(".to_k.", ".key.").Replace(".to_v.", ".value.").Replace(".to_out.0.", ".proj_attn."),
            e => e.Key.EndsWith("to_q.weight") ? e.Value.detach().unsqueeze(-1).unsqueeze(-1) : e.Value.detach());
        string weights = Path.Combine(folder.Path, "diffusion_pytorch_model.safetensors");
        SafeTensors.Save(weights, legacy);

        using var loaded = AutoencoderKL.FromPretrained(config, weights);
        using var images = rand(1, 3, 8, 8);

        loaded.call(images).allclose(vae.call(images), rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Strict_loading_lists_missing_and_unexpected_keys()
    {
        using var folder = new TemporaryFolder();
        using var vae = new AutoencoderKL(Tiny);
        vae.Save(folder.Path);
        var tensors = vae.state_dict().Where(e => e.Key != "quant_conv.bias").ToDictionary(e => e.Key, e => e.Value.detach());
        tensors["encoder.extra.weight"] = zeros(1);
        SafeTensors.Save(Path.Combine(folder.Path, AutoencoderKL.WeightsFileName), tensors);

        var error = FluentActions.Invoking(() => AutoencoderKL.Load(folder.Path)).Should().Throw<StateDictMismatchException>().Which;

        error.MissingKeys.Should().Equal("quant_conv.bias");
        error.UnexpectedKeys.Should().Equal("encoder.extra.weight");
        error.Message.Should().Contain("does not match the AutoencoderKL");
    }

    [Fact]
    public void Invalid_configs_name_the_field()
    {
        var act = () => new AutoencoderKL(Tiny with { NormNumGroups = 3 });
        act.Should().Throw<OptionsValidationException>().WithMessage("*NormNumGroups (3) must divide every entry of BlockOutChannels; 8 is not divisible by it.*");
    }
}
