using System.IO.Compression;
using EdSam.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests.IO;

/// <summary>PyTorch pickle checkpoints are refused — never executed — with a message that says how to convert them.</summary>
public sealed class SafeTensorsPickleRefusalTests : IDisposable
{
    private readonly TemporaryFolder _folder = new("edsam-pickle-");

    public void Dispose() => _folder.Dispose();

    private static void ShouldBeRefusedWithConversionAdvice(string path)
    {
        var e = FluentActions.Invoking(() => SafeTensors.Load(path)).Should().Throw<SafeTensorsFormatException>().Which;
        e.Message.Should().Contain("pickle")
            .And.Contain("safetensors.torch.save_file(torch.load(")
            .And.Contain("weights_only=True")
            .And.Contain("edsam convert");
        e.Message.Should().Contain($"torch.load('{Path.GetFileName(path)}'", "the one-liner names the user's own file");
    }

    [Theory]
    [InlineData("model.pt")]
    [InlineData("model.pth")]
    [InlineData("pytorch_model.bin")]
    [InlineData("last.ckpt")]
    [InlineData("weights.pkl")]
    public void Pickle_extensions_are_refused(string name)
    {
        string path = _folder.File(name);
        File.WriteAllBytes(path, [0x80, 0x02, (byte)'}', (byte)'q', 0x00, (byte)'.']); // a tiny protocol-2 pickle
        ShouldBeRefusedWithConversionAdvice(path);
    }

    [Fact]
    public void A_torch_save_zip_archive_is_refused_whatever_its_name()
    {
        string path = _folder.File("renamed.safetensors");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var writer = new StreamWriter(zip.CreateEntry("archive/data.pkl").Open());
            writer.Write("not executed");
        }
        File.ReadAllBytes(path).Take(4).Should().Equal((byte)'P', (byte)'K', 3, 4);
        ShouldBeRefusedWithConversionAdvice(path);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(5)]
    public void A_raw_pickle_is_refused_whatever_its_name(byte protocol)
    {
        string path = _folder.File("weights.safetensors");
        var bytes = new byte[64];
        bytes[0] = 0x80;
        bytes[1] = protocol;
        "ccollections\nOrderedDict\n"u8.CopyTo(bytes.AsSpan(2));
        File.WriteAllBytes(path, bytes);
        ShouldBeRefusedWithConversionAdvice(path);
    }

    [Fact]
    public void A_real_safetensors_file_with_a_bin_extension_still_loads()
    {
        string path = _folder.File("model.bin");
        using var scope = NewDisposeScope();
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = arange(4, dtype: ScalarType.Float32) });
        SafeTensors.Load(path)["w"].data<float>().ToArray().Should().Equal(0f, 1f, 2f, 3f);
    }
}
