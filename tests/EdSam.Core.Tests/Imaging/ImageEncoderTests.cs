using EdSam.Imaging;
using static TorchSharp.torch;

namespace EdSam.Tests.Imaging;

public sealed class ImageEncoderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edsam-encoder-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Rgb_tensor_round_trips_through_png_at_8_bit_precision()
    {
        using var generator = new Generator(seed: 11);
        using Tensor image = rand(new long[] { 3, 5, 7 }, generator: generator);
        string path = Path.Combine(_folder, "sub", "out.png");

        ImageEncoder.SavePng(path, image);
        using Tensor decoded = ImageDecoder.DecodeFile(path);

        // Independent expectation: nearest 8-bit level of each value.
        float[] values = image.data<float>().ToArray();
        float[] actual = decoded.data<float>().ToArray();
        actual.Should().HaveCount(values.Length);
        for (int i = 0; i < values.Length; i++) actual[i].Should().Be(MathF.Round(values[i] * 255f) / 255f);
    }

    [Fact]
    public void Grey_tensor_is_written_as_a_grey_png()
    {
        using Tensor grey = tensor(new[] { 0f, 0.5f, 1f, 0.25f }, new long[] { 1, 2, 2 });
        byte[] png = ImageEncoder.EncodePng(grey);

        StbImageSharp.ImageResult raw = StbImageSharp.ImageResult.FromMemory(png);
        raw.SourceComp.Should().Be(StbImageSharp.ColorComponents.Grey);
        raw.Data.Should().Equal(0, 128, 255, 64);
    }

    [Fact]
    public void Values_outside_the_unit_range_are_clamped()
    {
        using Tensor image = tensor(new[] { -0.5f, 1.5f, 0.2f }, new long[] { 1, 1, 3 });
        StbImageSharp.ImageResult.FromMemory(ImageEncoder.EncodePng(image)).Data.Should().Equal(0, 255, 51);
    }

    [Fact]
    public void Non_finite_values_are_refused_and_the_existing_file_is_kept()
    {
        string path = Path.Combine(_folder, "keep.png");
        File.WriteAllBytes(path, [1, 2, 3]);
        using Tensor image = tensor(new[] { 0f, float.NaN, 1f }, new long[] { 1, 1, 3 });

        var act = () => ImageEncoder.SavePng(path, image);

        act.Should().Throw<ArgumentException>().WithMessage("*NaN*");
        File.ReadAllBytes(path).Should().Equal(1, 2, 3);
        Directory.GetFiles(_folder).Should().ContainSingle();
    }

    [Theory]
    [InlineData(new long[] { 2, 4, 4 })]
    [InlineData(new long[] { 4, 4 })]
    [InlineData(new long[] { 1, 3, 4, 4 })]
    public void Wrong_shapes_are_refused(long[] shape)
    {
        using Tensor image = zeros(shape);
        var act = () => ImageEncoder.EncodePng(image);
        act.Should().Throw<ArgumentException>().WithMessage("*[C, H, W]*");
    }

    [Fact]
    public void Integer_tensors_are_refused()
    {
        using Tensor image = zeros(new long[] { 3, 2, 2 }, ScalarType.Byte);
        var act = () => ImageEncoder.EncodePng(image);
        act.Should().Throw<ArgumentException>().WithMessage("*floating-point*Byte*");
    }

    [Fact]
    public void Saving_replaces_an_existing_file_and_leaves_no_temporary_files()
    {
        string path = Path.Combine(_folder, "img.png");
        using Tensor black = zeros(3, 2, 2);
        using Tensor white = ones(3, 2, 2);

        ImageEncoder.SavePng(path, black);
        ImageEncoder.SavePng(path, white);

        using Tensor decoded = ImageDecoder.DecodeFile(path);
        decoded.min().item<float>().Should().Be(1f);
        Directory.GetFiles(_folder).Should().Equal(path);
    }
}
