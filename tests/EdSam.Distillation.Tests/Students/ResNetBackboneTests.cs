using EdSam.Distillation.Students;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Students;

public class ResNetBackboneTests
{
    /// <summary>
    /// The torchvision state-dict layout, written out from torchvision's documented structure (not from our module):
    /// stem conv1/bn1, four stages layer{s}.{b} of conv{i}/bn{i}, downsample.0 (conv) / downsample.1 (BN) on the
    /// first block of a stage whose shape changes, then fc.
    /// </summary>
    private static List<string> TorchvisionKeys(int[] layers, bool bottleneck)
    {
        static IEnumerable<string> Bn(string p) => [$"{p}.weight", $"{p}.bias", $"{p}.running_mean", $"{p}.running_var", $"{p}.num_batches_tracked"];
        var keys = new List<string> { "conv1.weight" };
        keys.AddRange(Bn("bn1"));
        int convs = bottleneck ? 3 : 2;
        for (int s = 0; s < 4; s++)
            for (int b = 0; b < layers[s]; b++)
            {
                string p = $"layer{s + 1}.{b}";
                for (int c = 1; c <= convs; c++) { keys.Add($"{p}.conv{c}.weight"); keys.AddRange(Bn($"{p}.bn{c}")); }
                // Stage 1 keeps 64 channels for BasicBlock (no shortcut); a Bottleneck expands 64 → 256 (shortcut).
                if (b == 0 && (s > 0 || bottleneck)) { keys.Add($"{p}.downsample.0.weight"); keys.AddRange(Bn($"{p}.downsample.1")); }
            }
        keys.AddRange(["fc.weight", "fc.bias"]);
        return keys;
    }

    [Fact]
    public void ResNet18_has_torchvisions_122_keys_and_11_689_512_parameters()
    {
        using var model = new ResNetBackbone(ResNetConfig.ResNet18);
        var keys = model.state_dict().Keys.ToList();
        keys.Should().HaveCount(122); // torchvision resnet18().state_dict() has 122 entries
        keys.Should().BeEquivalentTo(TorchvisionKeys([2, 2, 2, 2], bottleneck: false));
        model.parameters().Sum(p => p.numel()).Should().Be(11_689_512); // torchvision docs, ResNet18_Weights num_params
        model.FeatureDim.Should().Be(512);
        model.state_dict()["layer2.0.downsample.0.weight"].shape.Should().Equal(128, 64, 1, 1);
    }

    [Fact]
    public void ResNet50_has_torchvisions_320_keys_25_557_032_parameters_and_2048_features()
    {
        using var model = new ResNetBackbone(ResNetConfig.ResNet50);
        var keys = model.state_dict().Keys.ToList();
        keys.Should().HaveCount(320); // torchvision resnet50().state_dict() has 320 entries
        keys.Should().BeEquivalentTo(TorchvisionKeys([3, 4, 6, 3], bottleneck: true));
        model.parameters().Sum(p => p.numel()).Should().Be(25_557_032); // torchvision docs, ResNet50_Weights num_params
        model.state_dict()["layer1.0.downsample.0.weight"].shape.Should().Equal(256, 64, 1, 1);
        model.state_dict()["layer2.0.conv2.weight"].shape.Should().Equal(128, 128, 3, 3); // v1.5: stride on the 3×3
        model.FeatureDim.Should().Be(2048);
    }

    [Fact]
    public void Bottleneck_resnet_returns_features_four_times_the_last_width_and_strides_on_the_3x3()
    {
        // A small Bottleneck network runs the same code path as ResNet-50 at a fraction of the cost.
        using var model = new ResNetBackbone(new ResNetConfig(ResNetBlockType.Bottleneck, [1, 2, 1, 1], [4, 8, 16, 32], StemWidth: 8));
        model.eval();
        using var _ = no_grad();
        using var images = randn(2, 3, 64, 64);
        using var features = model.call(images);
        features.shape.Should().Equal(2, 128);
        model.FeatureDim.Should().Be(128);
    }

    [Fact]
    public void ResNet18_returns_pooled_512_d_features_at_64_px()
    {
        using var model = new ResNetBackbone(ResNetConfig.ResNet18);
        model.eval();
        using var _ = no_grad();
        using var images = randn(2, 3, 64, 64);
        using var features = model.call(images);
        features.shape.Should().Equal(2, 512);
        // Pooled after the last ReLU: features are non-negative.
        features.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(48)]
    public void Tiny_resnet_returns_64_d_features_for_any_size(int size)
    {
        using var model = new ResNetBackbone(ResNetConfig.Tiny);
        using var images = randn(3, 3, size, size);
        using var features = model.call(images);
        features.shape.Should().Equal(3, 64);
    }

    [Fact]
    public void Forward_does_not_use_fc()
    {
        using var model = new ResNetBackbone(ResNetConfig.Tiny);
        using var images = randn(2, 3, 32, 32);
        using var loss = model.call(images).sum();
        loss.backward();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        parameters["fc.weight"].grad.Should().BeNull();
        parameters["conv1.weight"].grad.Should().NotBeNull();
    }

    [Fact]
    public void Convolutions_get_kaiming_normal_fan_out_init_and_batchnorm_ones_zeros()
    {
        using var model = new ResNetBackbone(ResNetConfig.ResNet18);
        var state = model.state_dict();
        // Kaiming normal, fan_out mode, ReLU gain: std = sqrt(2 / (out_channels · k · k)).
        double expected = Math.Sqrt(2.0 / (64 * 3 * 3));
        state["layer1.0.conv1.weight"].std().item<float>().Should().BeApproximately((float)expected, (float)(expected * 0.05));
        state["bn1.weight"].eq(1).all().item<bool>().Should().BeTrue();
        state["bn1.bias"].eq(0).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void Rejects_images_that_are_not_N_3_H_W_floats()
    {
        using var model = new ResNetBackbone(ResNetConfig.Tiny);
        using var gray = randn(1, 1, 32, 32);
        using var ints = zeros(1, 3, 32, 32, ScalarType.Int64);
        model.Invoking(m => m.call(gray)).Should().Throw<ArgumentException>().WithMessage("*[N, 3, H, W]*[1, 1, 32, 32]*");
        model.Invoking(m => m.call(ints)).Should().Throw<ArgumentException>().WithMessage("*floating-point*Int64*");
    }

    [Fact]
    public void Config_validation_lists_every_wrong_field()
    {
        var bad = new ResNetConfig(ResNetBlockType.Basic, [1, 1, 1], [8, 16, 32, 0], StemWidth: 0);
        bad.Invoking(c => c.Validate()).Should().Throw<ArgumentException>()
            .Which.Message.Should().ContainAll("Layers", "Widths", "StemWidth");
    }
}
