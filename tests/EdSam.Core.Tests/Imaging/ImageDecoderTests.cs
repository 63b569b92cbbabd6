using EdSam.Imaging;
using FsCheck;
using FsCheck.Fluent;
using StbImageWriteSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests.Imaging;

public sealed class ImageDecoderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edsam-decoder-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Expected [3,H,W] values from interleaved samples, computed independently of the decoder.</summary>
    private static float Expected(byte[] interleaved, int channels, int width, int c, int y, int x)
        => interleaved[(y * width + x) * channels + (channels == 1 ? 0 : c)] / 255f;

    [Fact]
    public void Rgb_png_decodes_to_planar_floats_in_unit_range()
    {
        const int width = 5, height = 4;
        byte[] pixels = TestImages.RandomPixels(width, height, 3, seed: 1);
        string path = Path.Combine(_folder, "rgb.png");
        File.WriteAllBytes(path, TestImages.Png(pixels, width, height, ColorComponents.RedGreenBlue));

        using Tensor image = ImageDecoder.DecodeFile(path);

        image.shape.Should().Equal(3, height, width);
        image.dtype.Should().Be(ScalarType.Float32);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    image[c, y, x].item<float>().Should().Be(Expected(pixels, 3, width, c, y, x));
    }

    [Fact]
    public void Grey_png_is_repeated_over_three_channels()
    {
        byte[] grey = TestImages.RandomPixels(3, 2, 1, seed: 2);
        using Tensor image = ImageDecoder.Decode(TestImages.Png(grey, 3, 2, ColorComponents.Grey), "grey");

        image.shape.Should().Equal(3, 2, 3);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 2; y++)
                for (int x = 0; x < 3; x++)
                    image[c, y, x].item<float>().Should().Be(grey[y * 3 + x] / 255f);
    }

    [Theory]
    [InlineData(AlphaHandling.CompositeOnWhite)]
    [InlineData(AlphaHandling.CompositeOnBlack)]
    [InlineData(AlphaHandling.Discard)]
    public void Rgba_png_alpha_is_handled_per_option(AlphaHandling alpha)
    {
        // Pixel 0: opaque red; pixel 1: half-transparent (200,100,0); pixel 2: fully transparent blue.
        byte[] rgba = [255, 0, 0, 255, 200, 100, 0, 128, 0, 0, 255, 0];
        using Tensor image = ImageDecoder.Decode(TestImages.Png(rgba, 3, 1, ColorComponents.RedGreenBlueAlpha), "rgba",
            new ImageDecodeOptions { Alpha = alpha });

        float background = alpha == AlphaHandling.CompositeOnWhite ? 1f : 0f;
        for (int p = 0; p < 3; p++)
        {
            float a = alpha == AlphaHandling.Discard ? 1f : rgba[p * 4 + 3] / 255f;
            for (int c = 0; c < 3; c++)
            {
                float expected = rgba[p * 4 + c] / 255f * a + background * (1 - a);
                image[c, 0, p].item<float>().Should().BeApproximately(expected, 1e-6f, $"channel {c} of pixel {p}");
            }
        }
    }

    [Fact]
    public void Grey_alpha_png_composites_the_grey_value()
    {
        byte[] greyAlpha = [100, 255, 100, 0];
        using Tensor onBlack = ImageDecoder.Decode(TestImages.Png(greyAlpha, 2, 1, ColorComponents.GreyAlpha), "ga",
            new ImageDecodeOptions { Alpha = AlphaHandling.CompositeOnBlack });

        onBlack[TensorIndex.Colon, 0, 0].data<float>().ToArray().Should().AllBeEquivalentTo(100 / 255f);
        onBlack[TensorIndex.Colon, 0, 1].data<float>().ToArray().Should().AllBeEquivalentTo(0f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Sixteen_bit_png_keeps_full_precision(int channels)
    {
        const int width = 3, height = 2;
        var rng = new Random(3);
        var samples = new ushort[width * height * channels];
        for (int i = 0; i < samples.Length; i++) samples[i] = (ushort)rng.Next(0, 65536);
        samples[0] = 0x1234; // 8-bit decoding would give 0x12/255, visibly different from 0x1234/65535

        using Tensor image = ImageDecoder.Decode(TestImages.Png16(samples, width, height, channels), "png16");

        image.shape.Should().Equal(3, height, width);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    float expected = samples[(y * width + x) * channels + (channels == 1 ? 0 : c)] / 65535f;
                    image[c, y, x].item<float>().Should().BeApproximately(expected, 1e-6f);
                }
    }

    [Fact]
    public void Bmp_and_tga_decode_exactly()
    {
        byte[] pixels = TestImages.RandomPixels(4, 3, 3, seed: 4);
        foreach (byte[] encoded in new[] { TestImages.Bmp(pixels, 4, 3, ColorComponents.RedGreenBlue), TestImages.Tga(pixels, 4, 3, ColorComponents.RedGreenBlue) })
        {
            using Tensor image = ImageDecoder.Decode(encoded, "bmp-or-tga");
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 3; y++)
                    for (int x = 0; x < 4; x++)
                        image[c, y, x].item<float>().Should().Be(Expected(pixels, 3, 4, c, y, x));
        }
    }

    [Fact]
    public void Gif_decodes_through_its_palette()
    {
        byte[][] palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]];
        byte[] indices = [0, 1, 2, 3, 3, 2];

        using Tensor image = ImageDecoder.Decode(TestImages.Gif(indices, 3, 2, palette), "anim.gif");

        image.shape.Should().Equal(3, 2, 3);
        for (int p = 0; p < indices.Length; p++)
            for (int c = 0; c < 3; c++)
                image[c, p / 3, p % 3].item<float>().Should().Be(palette[indices[p]][c] / 255f, $"channel {c} of pixel {p}");
    }

    [Fact]
    public void Jpeg_of_a_flat_colour_decodes_close_to_it()
    {
        byte[] pixels = new byte[16 * 16 * 3];
        for (int i = 0; i < pixels.Length; i += 3) { pixels[i] = 40; pixels[i + 1] = 120; pixels[i + 2] = 200; }

        using Tensor image = ImageDecoder.Decode(TestImages.Jpeg(pixels, 16, 16, quality: 100), "flat.jpg");

        image.shape.Should().Equal(3, 16, 16);
        using Tensor expected = tensor(new[] { 40f, 120f, 200f }).div(255).view(3, 1, 1);
        image.sub(expected).abs().max().item<float>().Should().BeLessThan(3f / 255f);
    }

    [Fact]
    public void Truncated_png_names_the_file()
    {
        byte[] png = TestImages.Png(TestImages.RandomPixels(16, 16, 3, seed: 5), 16, 16, ColorComponents.RedGreenBlue);
        string path = Path.Combine(_folder, "cut.png");
        File.WriteAllBytes(path, png[..(png.Length / 2)]);

        var act = () => ImageDecoder.DecodeFile(path);

        act.Should().Throw<ImageDecodeException>()
            .Where(e => e.Message.Contains(path) && e.ImageName == path && e.Message.Contains("PNG"));
    }

    [Theory]
    [InlineData(60)]
    [InlineData(120)]
    [InlineData(300)]
    [InlineData(-20)]
    public void Truncated_png_messages_hold_no_control_characters(int keep)
    {
        byte[] png = TestImages.Png(TestImages.RandomPixels(16, 16, 3, seed: 5), 16, 16, ColorComponents.RedGreenBlue);
        byte[] cut = png[..(keep < 0 ? png.Length + keep : keep)]; // negative: that many bytes from the end (IEND and the last of IDAT)

        var act = () => ImageDecoder.Decode(cut, "cut.png");

        var error = act.Should().Throw<ImageDecodeException>().Which;
        error.Message.Should().Contain("cut.png").And.Contain($"{cut.Length:N0} bytes");
        error.Message.Where(char.IsControl).Should().BeEmpty($"the message for a PNG cut at {cut.Length} bytes must be printable: {error.Message}");
        if (keep == 300) error.InnerException!.Message.Should().Contain("\0", "the decoder's own message for this cut is NULs (the reported case)");
    }

    // NUL, CR and LF are written escaped in the attributes (and unescaped below) so test names stay printable in logs.
    [Theory]
    [InlineData("\\0\\0\\0\\0", "no reason given")]
    [InlineData("", "no reason given")]
    [InlineData(null, "no reason given")]
    [InlineData("  bad \\r\\n crc\\0.  ", "bad crc")]
    [InlineData("unknown image type", "unknown image type")]
    public void Decoder_messages_are_made_printable(string? raw, string expected)
    {
        ImageDecoder.ReadableDecoderMessage(raw?.Replace("\\0", "\0").Replace("\\r", "\r").Replace("\\n", "\n")).Should().Be(expected);
    }

    [Fact]
    public void Long_decoder_messages_are_capped()
    {
        string readable = ImageDecoder.ReadableDecoderMessage(new string('x', 1000));
        readable.Should().Be(new string('x', 200) + "…");
    }

    [Fact]
    public void Random_bytes_are_refused_with_the_given_name()
    {
        var act = () => ImageDecoder.Decode(TestImages.RandomPixels(64, 1, 1, seed: 6), "upload #7");

        act.Should().Throw<ImageDecodeException>().Where(e => e.Message.Contains("upload #7") && e.Reason.Contains("not a JPEG, PNG"));
    }

    [Fact]
    public void Empty_data_is_refused()
    {
        var act = () => ImageDecoder.Decode([], "empty");
        act.Should().Throw<ImageDecodeException>().WithMessage("*empty*0 bytes*");
    }

    [Fact]
    public void WebP_is_named_as_unsupported()
    {
        byte[] webp = [.. "RIFF"u8, 0, 0, 0, 0, .. "WEBPVP8 "u8, 0, 0, 0, 0];
        var act = () => ImageDecoder.Decode(webp, "photo.webp");
        act.Should().Throw<ImageDecodeException>().WithMessage("*photo.webp*WebP images are not supported*");
    }

    [Fact]
    public void Image_larger_than_MaxPixels_is_refused_before_decoding()
    {
        byte[] png = TestImages.Png(TestImages.RandomPixels(10, 10, 3, seed: 7), 10, 10, ColorComponents.RedGreenBlue);
        var act = () => ImageDecoder.Decode(png, "big", new ImageDecodeOptions { MaxPixels = 99 });
        act.Should().Throw<ImageDecodeException>().WithMessage("*10×10*MaxPixels*");
    }

    [Fact]
    public void Missing_file_is_a_FileNotFoundException()
    {
        string path = Path.Combine(_folder, "absent.png");
        var act = () => ImageDecoder.DecodeFile(path);
        act.Should().Throw<FileNotFoundException>().Where(e => e.FileName == path);
    }

    [Fact]
    public void Invalid_options_report_every_error()
    {
        var options = new ImageDecodeOptions { Alpha = (AlphaHandling)42, MaxPixels = 0 };
        var act = options.Validate;
        act.Should().Throw<ArgumentException>().WithMessage("*Alpha*MaxPixels*");
    }

    [Fact]
    public void Defaults_are_documented_values()
    {
        ImageDecodeOptions.Default.Alpha.Should().Be(AlphaHandling.CompositeOnWhite);
        ImageDecodeOptions.Default.MaxPixels.Should().Be(178_956_970);
    }

    [FsCheck.Xunit.Property(MaxTest = 25)]
    public Property Png_round_trip_is_exact_for_any_size_and_content(PositiveInt w, PositiveInt h, int seed)
    {
        int width = (w.Get - 1) % 9 + 1, height = (h.Get - 1) % 9 + 1;
        byte[] pixels = TestImages.RandomPixels(width, height, 3, seed);
        using Tensor image = ImageDecoder.Decode(TestImages.Png(pixels, width, height, ColorComponents.RedGreenBlue), "prop");
        using Tensor expected = tensor(pixels.Select(b => b / 255f).ToArray(), new long[] { height, width, 3 }).permute(2, 0, 1);
        return image.allclose(expected, rtol: 0, atol: 0).ToProperty().Label($"{width}×{height} seed {seed}");
    }
}
