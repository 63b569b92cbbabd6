using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using EdSam.IO;
using EdSam.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests.IO;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly TemporaryFolder _folder = new("edsam-safetensors-");

    public void Dispose() => _folder.Dispose();

    private string TempPath(string name = "model.safetensors") => _folder.File(name);

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

        loaded.ShouldBeBitwiseEqualTo(original);
        SafeTensors.ReadMetadata(TempPath()).Should().BeEquivalentTo(metadata);
    }

    [SkippableFact]
    public void Resaving_the_reference_checkpoint_reproduces_every_tensor()
    {
        string reference = SharedFixtures.Clip("tiny-vit.safetensors");
        using var scope = NewDisposeScope();
        var original = SafeTensors.Load(reference);
        SafeTensors.Save(TempPath(), original);
        var again = SafeTensors.Load(TempPath());

        again.ShouldBeBitwiseEqualTo(original);
        new FileInfo(TempPath()).Length.Should().BeGreaterThan(original.Values.Sum(t => t.numel() * t.ElementSize));
    }

    [Fact]
    public void Save_writes_the_layout_the_format_specifies()
    {
        using var scope = NewDisposeScope();
        SafeTensors.Save(TempPath(), new Dictionary<string, Tensor>
        {
            ["b.small"] = tensor(new byte[] { 1, 2, 3 }),
            ["a.wide"] = tensor(new[] { 1.0, 2.0 }),
            ["c.half"] = ones(3, dtype: ScalarType.Float16),
        }, new Dictionary<string, string> { ["format"] = "pt" });

        byte[] file = File.ReadAllBytes(TempPath());
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        ((8 + headerLength) % 8).Should().Be(0, "the data buffer starts 8-byte aligned");
        string header = Encoding.UTF8.GetString(file, 8, (int)headerLength);
        header.TrimEnd(' ').Should().EndWith("}", "padding is spaces after the JSON object");
        (header.Length - header.TrimEnd(' ').Length).Should().BeLessThan(8);

        using var json = JsonDocument.Parse(header);
        json.RootElement.GetProperty("__metadata__").GetProperty("format").GetString().Should().Be("pt");
        var wide = json.RootElement.GetProperty("a.wide");
        wide.GetProperty("dtype").GetString().Should().Be("F64");
        wide.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).Should().Equal(2);
        // Widest elements first so every tensor is aligned to its element size: F64 [0,16), F16 [16,22), U8 [22,25).
        wide.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).Should().Equal(0, 16);
        json.RootElement.GetProperty("c.half").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).Should().Equal(16, 22);
        json.RootElement.GetProperty("b.small").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).Should().Equal(22, 25);
        file.Length.Should().Be(8 + (int)headerLength + 25);
        BitConverter.ToDouble(file, 8 + (int)headerLength + 8).Should().Be(2.0, "data is little-endian");
        file[^3..].Should().Equal(1, 2, 3);
    }

    [Fact]
    public void Save_accepts_non_contiguous_views_and_tensors_that_require_grad_without_changing_them()
    {
        using var scope = NewDisposeScope();
        var matrix = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        var transposed = matrix.t();
        transposed.is_contiguous().Should().BeFalse();
        var trainable = ones(2, requires_grad: true);

        SafeTensors.Save(TempPath(), new Dictionary<string, Tensor> { ["t"] = transposed, ["p"] = trainable });
        var loaded = SafeTensors.Load(TempPath());

        loaded["t"].shape.Should().Equal(3, 2);
        loaded["t"].data<float>().ToArray().Should().Equal(0f, 3f, 1f, 4f, 2f, 5f);
        loaded["p"].requires_grad.Should().BeFalse();
        transposed.is_contiguous().Should().BeFalse("the caller's tensor is not modified");
        trainable.requires_grad.Should().BeTrue();
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_file_intact_and_no_temporary_file()
    {
        using var scope = NewDisposeScope();
        SafeTensors.Save(TempPath(), new Dictionary<string, Tensor> { ["w"] = ones(2) });
        byte[] before = File.ReadAllBytes(TempPath());

        FluentActions.Invoking(() => SafeTensors.Save(TempPath(), new Dictionary<string, Tensor>
            {
                ["w"] = zeros(2),
                ["z"] = zeros(2, dtype: ScalarType.ComplexFloat32),
            }))
            .Should().Throw<ArgumentException>().WithMessage("*'z'*ComplexFloat32*");

        File.ReadAllBytes(TempPath()).Should().Equal(before);
        Directory.GetFiles(_folder.FullName).Should().ContainSingle();
    }

    [Fact]
    public void Save_rejects_keys_the_format_cannot_hold()
    {
        using var scope = NewDisposeScope();
        FluentActions.Invoking(() => SafeTensors.Save(TempPath(), new Dictionary<string, Tensor> { ["__metadata__"] = ones(1) }))
            .Should().Throw<ArgumentException>().WithMessage("*'__metadata__' is reserved*");
        FluentActions.Invoking(() => SafeTensors.Save(TempPath(), new Dictionary<string, Tensor> { ["bad\ud800"] = ones(1) }))
            .Should().Throw<ArgumentException>().WithMessage("*unpaired surrogate*");
        File.Exists(TempPath()).Should().BeFalse();
    }

    [Fact]
    public void Load_with_a_dtype_converts_floating_point_tensors_only()
    {
        using var scope = NewDisposeScope();
        SafeTensors.Save(TempPath(), new Dictionary<string, Tensor> { ["w"] = tensor(new[] { 1.5f, -2f }), ["ids"] = tensor(new long[] { 3 }) });

        var loaded = SafeTensors.Load(TempPath(), CPU, ScalarType.BFloat16);

        loaded["w"].dtype.Should().Be(ScalarType.BFloat16);
        loaded["w"].to(ScalarType.Float32).data<float>().ToArray().Should().Equal(1.5f, -2f);
        loaded["ids"].dtype.Should().Be(ScalarType.Int64);
    }
}
