using System.Runtime.InteropServices;
using EdSam.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests.IO;

public sealed class SafeTensorsFileTests : IDisposable
{
    private readonly TemporaryFolder _folder = new("edsam-lazy-");

    public void Dispose() => _folder.Dispose();

    private string SaveSample()
    {
        string path = _folder.File("sample.safetensors");
        using var scope = NewDisposeScope();
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["weight"] = arange(6, dtype: ScalarType.Float32).reshape(2, 3),
            ["ids"] = tensor(new long[] { 5, 6 }),
            ["mask"] = tensor(new[] { true, false }),
        }, new Dictionary<string, string> { ["format"] = "pt" });
        return path;
    }

    [Fact]
    public void Open_exposes_keys_metadata_and_byte_ranges_that_tile_the_data_buffer()
    {
        string path = SaveSample();
        using var file = SafeTensorsFile.Open(path);

        file.Keys.Should().BeEquivalentTo("weight", "ids", "mask");
        file.Metadata.Should().Equal(new Dictionary<string, string> { ["format"] = "pt" });
        var weight = file.TensorInfo["weight"];
        weight.DType.Should().Be("F32");
        weight.ScalarType.Should().Be(ScalarType.Float32);
        weight.Shape.Should().Equal(2, 3);
        weight.ByteCount.Should().Be(24);
        weight.ElementCount.Should().Be(6);

        // Keys come in file order, each range starting where the previous ended, the last ending at the end of the file.
        long end = file.TensorInfo[file.Keys[0]].FileOffset;
        (end % 8).Should().Be(0, "the header is padded so the data buffer starts 8-byte aligned");
        foreach (string key in file.Keys)
        {
            file.TensorInfo[key].FileOffset.Should().Be(end);
            end += file.TensorInfo[key].ByteCount;
        }
        end.Should().Be(new FileInfo(path).Length);
    }

    [Fact]
    public void Read_copies_one_tensor_and_can_convert_its_dtype()
    {
        string path = SaveSample();
        using var file = SafeTensorsFile.Open(path);
        using var scope = NewDisposeScope();

        file.Read("ids").data<long>().ToArray().Should().Equal(5L, 6L);
        var asDouble = file.Read("weight", dtype: ScalarType.Float64);
        asDouble.dtype.Should().Be(ScalarType.Float64);
        asDouble.data<double>().ToArray().Should().Equal(0, 1, 2, 3, 4, 5);
        var onCpu = file.Read("mask", CPU);
        onCpu.data<bool>().ToArray().Should().Equal(true, false);
    }

    [Fact]
    public void Tensors_read_stay_valid_after_the_file_is_disposed_and_deleted()
    {
        string path = SaveSample();
        using var scope = NewDisposeScope();
        Tensor weight;
        using (var file = SafeTensorsFile.Open(path)) weight = file.Read("weight");
        File.Delete(path);
        weight.sum().item<float>().Should().Be(15f);
    }

    [Fact]
    public void Reading_a_missing_key_or_after_dispose_fails_clearly()
    {
        string path = SaveSample();
        var file = SafeTensorsFile.Open(path);
        FluentActions.Invoking(() => file.Read("nope")).Should().Throw<KeyNotFoundException>().WithMessage("*'nope'*");
        file.Dispose();
        FluentActions.Invoking(() => file.Read("weight")).Should().Throw<ObjectDisposedException>();
        file.Dispose(); // idempotent
    }

    [Fact]
    public void A_file_of_only_empty_tensors_opens_without_mapping_anything()
    {
        string path = _folder.File("empty.safetensors");
        using var scope = NewDisposeScope();
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["none"] = zeros(0, 3), ["also"] = zeros(4, 0, dtype: ScalarType.Int64) });
        using var file = SafeTensorsFile.Open(path);
        file.Read("none").shape.Should().Equal(0, 3);
        file.Read("also").shape.Should().Equal(4, 0);
    }
}

/// <summary>Runs alone (no other test allocating in parallel), because it measures the process's resident memory.</summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;

[Collection(nameof(MemoryMeasurement))]
public sealed class SafeTensorsMemoryTests : IDisposable
{
    private readonly TemporaryFolder _folder = new("edsam-memory-");

    public void Dispose() => _folder.Dispose();

    [SkippableFact]
    public void Dispose_unmaps_the_file_and_repeated_loads_do_not_grow_memory()
    {
        Skip.IfNot(RuntimeInformation.IsOSPlatform(OSPlatform.Linux), "reads /proc/self");
        string path = _folder.File("big.safetensors");
        using (var scope = NewDisposeScope())
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = ones(2 * 1024 * 1024) }); // 8 MB

        using (var file = SafeTensorsFile.Open(path))
            File.ReadAllText("/proc/self/maps").Should().Contain(path, "the data is memory-mapped while the file is open");
        File.ReadAllText("/proc/self/maps").Should().NotContain(path, "Dispose releases the mapping");

        LoadAndDispose(path, 5); // warm up allocator pools
        long before = ResidentBytes();
        LoadAndDispose(path, 50);
        long growth = ResidentBytes() - before;
        growth.Should().BeLessThan(100L << 20, "50 loads of an 8 MB file inside dispose scopes must not keep 400 MB alive");
        File.ReadAllText("/proc/self/maps").Should().NotContain(path);
    }

    private static void LoadAndDispose(string path, int times)
    {
        for (int i = 0; i < times; i++)
        {
            using var scope = NewDisposeScope();
            var tensors = SafeTensors.Load(path);
            tensors["w"].sum().item<float>().Should().Be(2 * 1024 * 1024);
        }
    }

    private static long ResidentBytes()
    {
        // VmRSS from /proc/self/status, in kB: counts native (libtorch) memory the GC does not see.
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
