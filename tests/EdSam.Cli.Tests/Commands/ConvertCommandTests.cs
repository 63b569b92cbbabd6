using EdSam.Cli.Tests.TestSupport;
using EdSam.IO;
using EdSam.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Cli.Tests.Commands;

public sealed class ConvertCommandTests
{
    [SkippableFact]
    public void Openai_to_hf_and_back_reproduces_every_tensor()
    {
        using var temp = new TempFolder();
        string source = SharedFixtures.Clip("tiny-vit.safetensors");

        var toHf = CliRun.Invoke("convert", "--in", source, "--out", temp.File("hf.safetensors"), "--to", "hf");
        var back = CliRun.Invoke("convert", "--in", temp.File("hf.safetensors"), "--out", temp.File("openai.safetensors"), "--to", "openai");

        toHf.ExitCode.Should().Be(0, toHf.Error);
        back.ExitCode.Should().Be(0, back.Error);
        var hfKeys = SafeTensors.ReadInfo(temp.File("hf.safetensors")).Tensors.Select(t => t.Key).ToArray();
        hfKeys.Should().Contain("vision_model.encoder.layers.0.self_attn.q_proj.weight").And.Contain("visual_projection.weight");
        hfKeys.Should().NotContain(k => k.StartsWith("visual.", StringComparison.Ordinal));

        var original = SafeTensors.Load(source);
        var roundTrip = SafeTensors.Load(temp.File("openai.safetensors"));
        try
        {
            roundTrip.Keys.Should().BeEquivalentTo(original.Keys);
            foreach (var (key, tensor) in original)
            {
                roundTrip[key].dtype.Should().Be(tensor.dtype, key);
                roundTrip[key].shape.Should().Equal(tensor.shape, key);
                roundTrip[key].eq(tensor).all().item<bool>().Should().BeTrue(key);
            }
        }
        finally
        {
            foreach (var t in original.Values.Concat(roundTrip.Values)) t.Dispose();
        }
    }

    [SkippableFact]
    public void Fp16_casts_every_floating_tensor_and_keeps_the_layout()
    {
        using var temp = new TempFolder();
        string source = SharedFixtures.Clip("tiny-vit.safetensors");

        var result = CliRun.Invoke("convert", "--in", source, "--out", temp.File("half.safetensors"), "--to", "openai", "--dtype", "fp16");

        result.ExitCode.Should().Be(0, result.Error);
        var original = SafeTensors.Load(source);
        var half = SafeTensors.Load(temp.File("half.safetensors"));
        try
        {
            half.Keys.Should().BeEquivalentTo(original.Keys);
            foreach (var (key, tensor) in original)
            {
                half[key].dtype.Should().Be(ScalarType.Float16, key);
                using var expected = tensor.to(ScalarType.Float16);
                half[key].eq(expected).all().item<bool>().Should().BeTrue(key);
            }
        }
        finally
        {
            foreach (var t in original.Values.Concat(half.Values)) t.Dispose();
        }
    }

    [SkippableFact]
    public void A_resnet_checkpoint_to_hf_exits_1_with_the_reason()
    {
        using var temp = new TempFolder();

        var result = CliRun.Invoke("convert", "--in", SharedFixtures.Clip("tiny-rn.safetensors"), "--out", temp.File("x.safetensors"), "--to", "hf");

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("ResNet");
        File.Exists(temp.File("x.safetensors")).Should().BeFalse();
    }

    [SkippableFact]
    public void A_sharded_checkpoint_is_merged_into_one_file()
    {
        using var temp = new TempFolder();
        string source = SharedFixtures.Clip("tiny-vit.safetensors");
        var original = SafeTensors.Load(source);
        try
        {
            // Two shards and their index, as transformers writes large checkpoints.
            var keys = original.Keys.Order(StringComparer.Ordinal).ToArray();
            var weightMap = new System.Text.Json.Nodes.JsonObject();
            foreach (var (file, part) in new[] { ("model-00001-of-00002.safetensors", keys[..3]), ("model-00002-of-00002.safetensors", keys[3..]) })
            {
                SafeTensors.Save(temp.File(file), part.ToDictionary(k => k, k => original[k]));
                foreach (string key in part) weightMap[key] = file;
            }
            File.WriteAllText(temp.File("model.safetensors.index.json"), new System.Text.Json.Nodes.JsonObject { ["weight_map"] = weightMap }.ToJsonString());

            var result = CliRun.Invoke("convert", "--in", temp.File("model.safetensors.index.json"), "--out", temp.File("merged.safetensors"), "--to", "openai");

            result.ExitCode.Should().Be(0, result.Error);
            var merged = SafeTensors.Load(temp.File("merged.safetensors"));
            try
            {
                merged.Keys.Should().BeEquivalentTo(original.Keys);
                foreach (var (key, tensor) in original) merged[key].eq(tensor).all().item<bool>().Should().BeTrue(key);
            }
            finally
            {
                foreach (var t in merged.Values) t.Dispose();
            }
        }
        finally
        {
            foreach (var t in original.Values) t.Dispose();
        }
    }

    [Fact]
    public void A_corrupt_input_exits_1_naming_the_file()
    {
        using var temp = new TempFolder();
        string bad = temp.File("bad.safetensors");
        File.WriteAllBytes(bad, [1, 2, 3, 4, 5]);

        var result = CliRun.Invoke("convert", "--in", bad, "--out", temp.File("x.safetensors"), "--to", "hf");

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("bad.safetensors");
    }
}
