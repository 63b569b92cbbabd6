using EdSam.Clip;
using EdSam.Imaging;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

public sealed class ImagePreprocessorTests
{
    private static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    private static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    private static ImagePreprocessor Identity(int resize, int crop, ResizeInterpolation interpolation = ResizeInterpolation.Bicubic, bool antialias = true)
        => new(new ImagePreprocessorOptions
        {
            ResizeSize = resize, CropSize = crop, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f],
            Interpolation = interpolation, Antialias = antialias,
        });

    /// <summary>
    /// PIL's resampling weights (Resample.c, as described in its documentation): output pixel i has centre
    /// (i + ½)·scale; the filter is the a = −0.5 cubic stretched by max(scale, 1); taps outside the image are
    /// dropped and the rest renormalised. Written here independently of the code under test.
    /// </summary>
    private static double[,] PilBicubicWeights(int inSize, int outSize)
    {
        static double Cubic(double x)
        {
            const double a = -0.5;
            x = Math.Abs(x);
            if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
            if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
            return 0;
        }
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1);
        double support = 2 * filterScale;
        var weights = new double[outSize, inSize];
        for (int i = 0; i < outSize; i++)
        {
            double centre = (i + 0.5) * scale;
            int lo = Math.Max((int)(centre - support + 0.5), 0);
            int hi = Math.Min((int)(centre + support + 0.5), inSize);
            double total = 0;
            for (int j = lo; j < hi; j++) total += weights[i, j] = Cubic((j - centre + 0.5) / filterScale);
            for (int j = lo; j < hi; j++) weights[i, j] /= total;
        }
        return weights;
    }

    [Fact]
    public void Defaults_are_openai_clip_values()
    {
        var options = new ImagePreprocessorOptions();
        options.ResizeSize.Should().Be(224);
        options.CropSize.Should().Be(224);
        options.Mean.Should().Equal(ClipMean);
        options.Std.Should().Equal(ClipStd);
        options.Interpolation.Should().Be(ResizeInterpolation.Bicubic);
        options.Antialias.Should().BeTrue();
        options.ClampAfterResize.Should().BeTrue();
        ImagePreprocessorOptions.ImageNet(336).Mean.Should().Equal(0.485f, 0.456f, 0.406f);
        ImagePreprocessorOptions.ImageNet(336).Std.Should().Equal(0.229f, 0.224f, 0.225f);
        ImagePreprocessorOptions.Clip(336).CropSize.Should().Be(336);
    }

    [Fact]
    public void Invalid_options_list_every_problem()
    {
        var options = new ImagePreprocessorOptions { ResizeSize = 0, CropSize = -1, Mean = [0.5f], Std = [1f, 0f, 1f] };
        var act = () => new ImagePreprocessor(options);
        act.Should().Throw<ArgumentException>().WithMessage("*ResizeSize*CropSize*Mean*Std*");
    }

    [Fact]
    public void Output_has_the_crop_shape_and_normalised_statistics()
    {
        using var generator = new Generator(seed: 3);
        using Tensor image = rand(new long[] { 3, 50, 40 }, generator: generator);
        var preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.Clip(32));

        using Tensor output = preprocessor.Preprocess(image);

        output.shape.Should().Equal(3, 32, 32);
        output.dtype.Should().Be(ScalarType.Float32);
        using Tensor pixels = output.mul(tensor(ClipStd).view(3, 1, 1)).add(tensor(ClipMean).view(3, 1, 1));
        pixels.min().item<float>().Should().BeGreaterThanOrEqualTo(-1e-5f);
        pixels.max().item<float>().Should().BeLessThanOrEqualTo(1 + 1e-5f);
        // Antialiased downscaling of uniform noise keeps its mean (0.5) but averages away much of its variance.
        pixels.mean().item<float>().Should().BeApproximately(0.5f, 0.03f);
        pixels.std().item<float>().Should().BeLessThan(image.std().item<float>());
    }

    [Theory]
    [InlineData(ResizeInterpolation.Bicubic, 40, 60, 16)]
    [InlineData(ResizeInterpolation.Bicubic, 7, 9, 20)]
    [InlineData(ResizeInterpolation.Bilinear, 40, 60, 16)]
    [InlineData(ResizeInterpolation.Nearest, 40, 60, 16)]
    public void Resizing_a_constant_image_keeps_it_constant(ResizeInterpolation interpolation, int height, int width, int size)
    {
        using Tensor image = full(3, height, width, 0.3f);
        using Tensor resized = Identity(size, size, interpolation).Resize(image);

        resized.shape[1].Should().Be(size);
        resized.sub(0.3f).abs().max().item<float>().Should().BeLessThan(1e-6f);
    }

    [Fact]
    public void Downscaling_matches_pil_bicubic_weights_computed_independently()
    {
        const int height = 6, width = 15, size = 4; // factors 1.5 (height) and 3.75 (width)
        using var generator = new Generator(seed: 5);
        using Tensor image = rand(new long[] { 3, height, width }, generator: generator);

        using Tensor resized = Identity(size, size).Resize(image);

        var (outHeight, outWidth) = (size, (int)(size * (double)width / height));
        resized.shape.Should().Equal(3, outHeight, outWidth);
        using Tensor rows = tensor(Flatten(PilBicubicWeights(height, outHeight)), new long[] { outHeight, height }, ScalarType.Float64);
        using Tensor cols = tensor(Flatten(PilBicubicWeights(width, outWidth)), new long[] { outWidth, width }, ScalarType.Float64);
        using Tensor expected = rows.matmul(image.to(ScalarType.Float64)).matmul(cols.t()).clamp(0, 1);
        resized.to(ScalarType.Float64).sub(expected).abs().max().item<double>().Should().BeLessThan(1e-5);
    }

    [Fact]
    public void Checkerboard_downscaled_by_two_is_mid_grey_inside()
    {
        // With an even factor every symmetric pair of taps covers one black and one white pixel: the
        // antialiased result is exactly the area average 0.5 away from the border.
        using Tensor board = arange(16).view(1, 16).add(arange(16).view(16, 1)).remainder(2).to(ScalarType.Float32).expand(3, 16, 16);

        using Tensor resized = Identity(8, 8).Resize(board);
        using Tensor inside = resized[.., 2..6, 2..6];

        inside.sub(0.5f).abs().max().item<float>().Should().BeLessThan(1e-5f);
    }

    [Fact]
    public void Without_antialias_a_checkerboard_aliases()
    {
        // Factor 3: plain bicubic samples exactly on input pixels (centres 3i + 1), so the output is the
        // board itself subsampled (0s and 1s); antialiasing averages it to grey instead.
        using Tensor board = arange(15).view(1, 15).add(arange(15).view(15, 1)).remainder(2).to(ScalarType.Float32).expand(3, 15, 15);

        using Tensor aliased = Identity(5, 5, antialias: false).Resize(board);
        using Tensor smoothed = Identity(5, 5).Resize(board);

        aliased[.., 1..4, 1..4].sub(0.5f).abs().min().item<float>().Should().BeApproximately(0.5f, 1e-5f);
        smoothed[.., 1..4, 1..4].sub(0.5f).abs().max().item<float>().Should().BeLessThan(0.2f);
    }

    [Theory]
    [InlineData(480, 640, 224, 224, 298)]
    [InlineData(640, 480, 224, 298, 224)]
    [InlineData(100, 100, 32, 32, 32)]
    [InlineData(3, 1000, 10, 10, 3333)]
    public void Long_side_keeps_the_aspect_ratio_truncated(int height, int width, int size, int expectedHeight, int expectedWidth)
        => ImagePreprocessor.ResizedShape(height, width, size).Should().Be((expectedHeight, expectedWidth));

    [Fact]
    public void Centre_crop_takes_the_centre_window()
    {
        using Tensor image = arange(5 * 9, ScalarType.Float32).view(1, 5, 9).expand(3, 5, 9);
        using Tensor cropped = Identity(5, 3).CenterCrop(image);

        // top = round((5 − 3) / 2) = 1, left = round((9 − 3) / 2) = 3
        cropped[0].data<float>().ToArray().Should().Equal(12, 13, 14, 21, 22, 23, 30, 31, 32);
    }

    [Fact]
    public void Centre_crop_rounds_half_offsets_to_even_like_torchvision()
    {
        using Tensor image = arange(4 * 4, ScalarType.Float32).view(1, 4, 4);
        using Tensor cropped = Identity(4, 3).CenterCrop(image);
        // round(0.5) = 0 in Python: the crop starts at the top-left pixel.
        cropped.data<float>().ToArray().Should().Equal(0, 1, 2, 4, 5, 6, 8, 9, 10);
    }

    [Fact]
    public void Centre_crop_pads_images_smaller_than_the_crop_with_zeros()
    {
        using Tensor image = ones(1, 2, 2);
        using Tensor cropped = Identity(2, 4).CenterCrop(image);
        cropped.shape.Should().Equal(1, 4, 4);
        cropped.sum().item<float>().Should().Be(4f);
        cropped[0, 1..3, 1..3].sum().item<float>().Should().Be(4f);
    }

    [Fact]
    public void Normalisation_applies_the_per_channel_formula()
    {
        using Tensor image = tensor(new[] { 0f, 0.5f, 1f }).view(3, 1, 1).expand(3, 2, 2);
        using Tensor normalised = new ImagePreprocessor().Normalize(image);

        for (int c = 0; c < 3; c++)
        {
            float pixel = c * 0.5f;
            normalised[c, 1, 1].item<float>().Should().BeApproximately((pixel - ClipMean[c]) / ClipStd[c], 1e-6f);
        }
    }

    [Fact]
    public void Batch_and_single_images_give_the_same_result()
    {
        using var generator = new Generator(seed: 9);
        using Tensor batch = rand(new long[] { 2, 3, 20, 30 }, generator: generator);
        var preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.Clip(8));

        using Tensor all = preprocessor.Preprocess(batch);
        using Tensor second = preprocessor.Preprocess(batch[1]);

        all.shape.Should().Equal(2, 3, 8, 8);
        all[1].allclose(second, rtol: 0, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Paths_of_different_sizes_are_stacked_in_order()
    {
        string folder = Directory.CreateTempSubdirectory("edsam-preprocess-").FullName;
        try
        {
            using var generator = new Generator(seed: 10);
            using Tensor wide = rand(new long[] { 3, 12, 20 }, generator: generator);
            using Tensor tall = rand(new long[] { 3, 18, 10 }, generator: generator);
            string widePath = Path.Combine(folder, "wide.png"), tallPath = Path.Combine(folder, "tall.png");
            ImageEncoder.SavePng(widePath, wide);
            ImageEncoder.SavePng(tallPath, tall);
            var preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.Clip(8));

            using Tensor batch = preprocessor.Preprocess([tallPath, widePath]);

            batch.shape.Should().Equal(2, 3, 8, 8);
            using Tensor decodedTall = ImageDecoder.DecodeFile(tallPath);
            using Tensor expectedTall = preprocessor.Preprocess(decodedTall);
            batch[0].allclose(expectedTall, rtol: 0, atol: 1e-6).Should().BeTrue();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Empty_path_list_is_refused()
    {
        var act = () => new ImagePreprocessor().Preprocess(Array.Empty<string>());
        act.Should().Throw<ArgumentException>().WithMessage("*At least one image*");
    }

    [Fact]
    public void Pixels_in_0_to_255_are_refused_with_a_hint()
    {
        using Tensor image = full(3, 4, 4, 200f);
        var act = () => new ImagePreprocessor().Preprocess(image);
        act.Should().Throw<ArgumentException>().WithMessage("*[0, 1]*divide by 255*");
    }

    [Fact]
    public void Wrong_channel_count_and_dtype_are_refused()
    {
        using Tensor grey = zeros(1, 4, 4);
        using Tensor bytes = zeros(new long[] { 3, 4, 4 }, ScalarType.Byte);
        var preprocessor = new ImagePreprocessor();
        ((Action)(() => preprocessor.Preprocess(grey))).Should().Throw<ArgumentException>().WithMessage("*[3, H, W]*");
        ((Action)(() => preprocessor.Preprocess(bytes))).Should().Throw<ArgumentException>().WithMessage("*floating-point*");
    }

    private static double[] Flatten(double[,] matrix) => matrix.Cast<double>().ToArray();
}
