using EdSam.IO;
using EdSam.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests.IO;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edsam-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string TempPath(string name = "model.safetensors") => Path.Combine(_folder, name);

    [SkippableFact]
    public void Loads_the_reference_tiny_vit_checkpoint_with_its_known_keys_and_shapes()
    {
        string path = SharedFixtures.Clip("tiny-vit.safetensors");
        using var scope = NewDisposeScope();
        var tensors = SafeTensors.Load(path);

        tensors["visual.conv1.weight"].shape.Should().Equal(64, 3, 8, 8);
        tensors["visual.conv1.weight"].dtype.Should().Be(ScalarType.Float32);
        tensors["visual.positional_embedding"].shape.Should().Equal(17, 64);
        tensors["logit_scale"].shape.Should().BeEmpty("logit_scale is a scalar in the OpenAI layout");
        tensors["positional_embedding"].shape.Should().Equal(77, 64);
    }

    [SkippableFact]
    public void Loads_the_reference_io_fixture_with_int64_tokens_whose_eot_is_the_largest_id()
    {
        string path = SharedFixtures.Clip("tiny-vit.io.safetensors");
        using var scope = NewDisposeScope();
        var tensors = SafeTensors.Load(path);

        var tokens = tensors["tokens"];
        tokens.dtype.Should().Be(ScalarType.Int64);
        tokens.shape.Should().Equal(3, 77);
        tensors["images"].shape.Should().Equal(3, 3, 32, 32);
        // The fixture README: SOT = vocab − 2 and EOT = vocab − 1 is the largest id, so each row starts with max − 1.
        long max = tokens.max().item<long>();
        tokens[TensorIndex.Colon, 0].eq(max - 1).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void Round_trips_every_supported_dtype_with_metadata()
    {
        using var scope = NewDisposeScope();
        var original = new Dictionary<string, Tensor>
        {
            ["f64"] = randn(2, 3, dtype: ScalarType.Float64),
            ["f32"] = randn(4, dtype: ScalarType.Float32),
            ["f16"] = randn(3, 2, dtype: ScalarType.Float16),
            ["bf16"] = randn(5, dtype: ScalarType.BFloat16),
            ["i64"] = tensor(new long[] { long.MinValue, -1, 0, long.MaxValue }),
            ["i32"] = tensor(new[] { int.MinValue, 7, int.MaxValue }),
            ["i16"] = tensor(new short[] { short.MinValue, 3 }),
            ["i8"] = tensor(new sbyte[] { -128, 0, 127 }),
            ["u8"] = tensor(new byte[] { 0, 200, 255 }),
            ["bool"] = tensor(new[] { true, false, true }),
            ["scalar"] = tensor(3.5f),
            ["empty"] = zeros(0, 4),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode ✓ \"quoted\"" };

        SafeTensors.Save(TempPath(), original, metadata);
        var loaded = SafeTensors.Load(TempPath());

        loaded.Keys.Should().BeEquivalentTo(original.Keys);
        foreach (var (key, expected) in original)
        {
            loaded[key].dtype.Should().Be(expected.dtype, key);
            loaded[key].shape.Should().Equal(expected.shape, key);
            loaded[key].bytes.ToArray().Should().Equal(expected.bytes.ToArray(), key);
        }
        SafeTensors.ReadMetadata(TempPath()).Should().BeEquivalentTo(metadata);
    }
}
