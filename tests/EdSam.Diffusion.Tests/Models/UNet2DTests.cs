using EdSam.Diffusion.Models;
using EdSam.Diffusion.Schedulers;
using EdSam.Diffusion.Tests.TestSupport;
using EdSam.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Models;

public class UNet2DTests
{
    public static TheoryData<UNet2DConfig> Configs => new()
    {
        TinyConfigs.UNet(),
        TinyConfigs.UNet(imageSize: 8, channels: 1) with { ChannelMultipliers = [1] , AttentionResolutions = [] },
        TinyConfigs.UNet(imageSize: 12, channels: 4) with { LayersPerBlock = 2, ResnetTimeScaleShift = false, AttentionResolutions = [12, 6] },
        TinyConfigs.UNet(imageSize: 16, channels: 3, classes: 2, textDim: 5) with { ChannelMultipliers = [1, 2, 2], OutChannels = 6, AttentionResolutions = [4] },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Output_has_the_sample_shape_with_OutChannels(UNet2DConfig config)
    {
        using var model = new UNet2D(config);
        using var x = randn(2, config.InChannels, config.ImageSize, config.ImageSize);
        using var t = tensor(new long[] { 0, 999 });

        using var output = model.Predict(x, t);

        output.shape.Should().Equal(2, config.OutChannels, config.ImageSize, config.ImageSize);
        output.isfinite().all().item<bool>().Should().BeTrue();
        model.SampleShape.Should().Equal(config.InChannels, config.ImageSize, config.ImageSize);
    }

    [Fact]
    public void Key_names_follow_the_diffusers_UNet2DModel_layout()
    {
        using var model = new UNet2D(TinyConfigs.UNet(classes: 3, textDim: 5));
        var keys = model.state_dict().Keys.ToHashSet();
        keys.Should().Contain(new[]
        {
            "conv_in.weight", "time_embedding.linear_1.weight", "time_embedding.linear_2.bias",
            "class_embedding.weight", "text_embedding.weight",
            "down_blocks.0.resnets.0.norm1.weight", "down_blocks.0.resnets.0.time_emb_proj.weight",
            "down_blocks.0.downsamplers.0.conv.weight", "down_blocks.1.resnets.0.conv_shortcut.weight",
            "down_blocks.1.attentions.0.to_q.weight", "down_blocks.1.attentions.0.to_out.0.bias",
            "mid_block.resnets.1.conv2.weight", "mid_block.attentions.0.group_norm.weight",
            "up_blocks.0.resnets.1.conv_shortcut.weight", "up_blocks.0.upsamplers.0.conv.weight",
            "up_blocks.1.resnets.1.conv1.weight", "conv_norm_out.weight", "conv_out.bias",
        });
        keys.Should().NotContain(k => k.StartsWith("down_blocks.1.downsamplers") || k.StartsWith("up_blocks.1.upsamplers") || k.StartsWith("down_blocks.0.attentions"));
        model.state_dict()["class_embedding.weight"].shape.Should().Equal(4, 32);   // 3 classes + the null class
    }

    [Fact]
    public void Class_and_text_conditions_change_the_output_and_the_null_condition_is_the_unconditional_output()
    {
        using var model = new UNet2D(TinyConfigs.UNet(classes: 2, textDim: 4));
        model.eval();
        using var x = randn(2, 3, 16, 16, generator: new Generator(1));
        using var t = tensor(new long[] { 10, 500 });
        using var zeroLabel = zeros(2, dtype: ScalarType.Int64);
        using var oneLabel = ones(2, dtype: ScalarType.Int64);
        using var text = randn(2, 4, generator: new Generator(2));
        using var nullLabels = full(2, DiffusionCondition.NullClassLabel, dtype: ScalarType.Int64);
        using var zeroText = zeros(2, 4);

        using var unconditional = model.Predict(x, t);
        using var classZero = model.Predict(x, t, new DiffusionCondition(zeroLabel));
        using var classOne = model.Predict(x, t, new DiffusionCondition(oneLabel));
        using var withText = model.Predict(x, t, new DiffusionCondition(TextEmbeddings: text));
        using var explicitNull = model.Predict(x, t, new DiffusionCondition(nullLabels, zeroText));

        (classZero - classOne).abs().max().item<float>().Should().BeGreaterThan(1e-4f);
        (withText - unconditional).abs().max().item<float>().Should().BeGreaterThan(1e-4f);
        explicitNull.allclose(unconditional, rtol: 0, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Predict_is_differentiable_with_respect_to_the_sample()
    {
        using var model = new UNet2D(TinyConfigs.UNet());
        using var x = randn(1, 3, 16, 16).requires_grad_();
        using var output = model.Predict(x, tensor(3L));
        using var loss = output.square().sum();
        loss.backward();
        x.grad!.abs().sum().item<float>().Should().BeGreaterThan(0);
    }

    [Fact]
    public void Bad_inputs_are_reported_clearly()
    {
        using var model = new UNet2D(TinyConfigs.UNet(classes: 2));
        using var x = zeros(2, 3, 16, 16);
        using var t = zeros(2, dtype: ScalarType.Int64);
        using var wrongSize = zeros(2, 3, 15, 16);
        using var badLabels = tensor(new long[] { 0, 2 });
        using var text = zeros(2, 4);

        FluentActions.Invoking(() => model.Predict(wrongSize, t)).Should().Throw<ArgumentException>().WithMessage("UNet2D expects noisy samples [N, 3, 16, 16], got [2, 3, 15, 16]*");
        FluentActions.Invoking(() => model.Predict(x, zeros(3, dtype: ScalarType.Int64))).Should().Throw<ArgumentException>().WithMessage("timesteps must be a scalar or [N] with N = 2*");
        FluentActions.Invoking(() => model.Predict(x, t, new DiffusionCondition(badLabels))).Should().Throw<ArgumentException>().WithMessage("ClassLabels must lie in [0, 1] or be -1 (no class), got values in [0, 2]*");
        FluentActions.Invoking(() => model.Predict(x, t, new DiffusionCondition(TextEmbeddings: text))).Should().Throw<ArgumentException>().WithMessage("Text embeddings were given but this UNet2D was built without TextEmbeddingDim*");
    }

    [Fact]
    public void Save_and_Load_round_trip_architecture_schedule_and_weights()
    {
        using var folder = new TemporaryFolder();
        var schedule = new SchedulerConfig { BetaSchedule = BetaSchedule.Cosine, PredictionType = PredictionType.VPrediction, NumTrainTimesteps = 500 };
        using var model = new UNet2D(TinyConfigs.UNet(classes: 2), schedule);
        model.eval();
        model.Save(folder.Path);

        using var loaded = UNet2D.Load(folder.Path);
        loaded.eval();
        using var x = randn(2, 3, 16, 16);
        using var t = tensor(new long[] { 1, 400 });
        using var labels = tensor(new long[] { 1, -1 });

        loaded.Config.Should().Be(model.Config);
        loaded.Scheduler.Should().Be(schedule);
        using var expected = model.Predict(x, t, new DiffusionCondition(labels));
        using var actual = loaded.Predict(x, t, new DiffusionCondition(labels));
        actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
        File.ReadAllText(Path.Combine(folder.Path, UNet2D.SchedulerFileName)).Should().Contain("\"prediction_type\": \"v_prediction\"");
    }

    [Fact]
    public void Load_reports_every_mismatched_key_of_a_foreign_weights_file()
    {
        using var folder = new TemporaryFolder();
        using (var model = new UNet2D(TinyConfigs.UNet())) model.Save(folder.Path);
        // Weights of a class-conditional twin: one unexpected key; drop one key to get a missing one too.
        using (var other = new UNet2D(TinyConfigs.UNet(classes: 2)))
        {
            var tensors = other.state_dict().Where(e => e.Key != "conv_out.bias").ToDictionary(e => e.Key, e => e.Value.detach());
            SafeTensors.Save(Path.Combine(folder.Path, UNet2D.WeightsFileName), tensors);
        }

        var act = () => UNet2D.Load(folder.Path);

        var error = act.Should().Throw<StateDictMismatchException>().Which;
        error.MissingKeys.Should().Equal("conv_out.bias");
        error.UnexpectedKeys.Should().Equal("class_embedding.weight");
        error.Message.Should().Contain("(1 missing, 1 unexpected, 0 mis-shaped key(s))");
    }

    [Fact]
    public void Load_names_a_missing_or_broken_config_file()
    {
        using var folder = new TemporaryFolder();
        FluentActions.Invoking(() => UNet2D.Load(folder.Path)).Should().Throw<FileNotFoundException>().WithMessage("*unet.json*");
        File.WriteAllText(Path.Combine(folder.Path, UNet2D.ConfigFileName), "{\"image_size\": 16, \"imagesize\": 3}");
        FluentActions.Invoking(() => UNet2D.Load(folder.Path)).Should().Throw<InvalidDataException>().WithMessage("*unet.json*is not a valid UNet2DConfig*imagesize*");
    }
}

public class NormalizationTests
{
    [Fact]
    public void Every_group_norm_starts_as_the_identity_affine_map()
    {
        // TorchSharp 0.107's GroupNorm leaves γ/β uninitialised; the model must not inherit garbage.
        using var model = new UNet2D(TinyConfigs.UNet());
        var norms = model.named_parameters().Where(p => p.name.Contains("norm")).ToList();
        norms.Should().NotBeEmpty();
        foreach (var (name, parameter) in norms)
        {
            float expected = name.EndsWith("weight") ? 1f : 0f;
            parameter.allclose(full_like(parameter, expected), rtol: 0, atol: 0).Should().BeTrue(name);
        }
    }
}

public class UNet2DLabelDtypeTests
{
    [Fact]
    public void Int32_class_labels_are_accepted_like_int64()
    {
        using var model = new UNet2D(TinyConfigs.UNet(classes: 2));
        model.eval();
        using var x = randn(2, 3, 16, 16);
        using var t = tensor(new long[] { 3, 4 });
        using var int64 = tensor(new long[] { 1, 0 });
        using var int32 = tensor(new[] { 1, 0 });
        using var expected = model.Predict(x, t, new DiffusionCondition(int64));
        using var actual = model.Predict(x, t, new DiffusionCondition(int32));
        actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
    }
}
