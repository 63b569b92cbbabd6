using EdSam.Data.Augmentation;
using FsCheck;
using FsCheck.Fluent;
using static TorchSharp.torch;

namespace EdSam.Tests.Data.Augmentation;

public class AugmentationTests
{
    private static Tensor RandomImage(int seed, int height = 20, int width = 28) => DataTestFiles.QuantizedImage(seed, height, width);

    private static Tensor Run(IImageTransform transform, Tensor image, int seed) => transform.Apply(image, new Random(seed));

    [Fact]
    public void Training_pipeline_is_deterministic_per_seed_with_the_right_shape()
    {
        var pipeline = Transforms.DomainGeneralizationTraining(16, Normalize.ImageNet);
        using var image = RandomImage(1);
        using var a = Run(pipeline, image, 42);
        using var b = Run(pipeline, image, 42);
        using var c = Run(pipeline, image, 43);

        a.shape.Should().Equal(3, 16, 16);
        a.dtype.Should().Be(ScalarType.Float32);
        a.allclose(b, rtol: 0, atol: 0).Should().BeTrue("the same seed gives the same pixels");
        a.allclose(c, rtol: 0, atol: 0).Should().BeFalse("another seed gives another augmentation");
        using var original = RandomImage(1);
        image.allclose(original, rtol: 0, atol: 0).Should().BeTrue("the input is not modified");
    }

    [Fact]
    public void Unnormalised_augmentations_keep_pixels_in_the_unit_range()
    {
        var pipeline = new Compose(new RandomResizedCrop(12), new RandomHorizontalFlip(), new ColorJitter(), new RandomGrayscale(0.5));
        using var image = RandomImage(2);
        for (int seed = 0; seed < 8; seed++)
        {
            using var output = Run(pipeline, image, seed);
            output.shape.Should().Equal(3, 12, 12);
            output.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
            output.max().item<float>().Should().BeLessThanOrEqualTo(1f);
        }
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property Random_resized_crop_windows_fit_and_respect_scale_and_ratio(PositiveInt h, PositiveInt w, int seed)
    {
        long height = (h.Get - 1) % 300 + 8, width = (w.Get - 1) % 300 + 8;
        var crop = new RandomResizedCrop(8, 0.7, 1.0);
        var (top, left, ch, cw) = crop.SampleWindow(height, width, new Random(seed));
        bool fits = top >= 0 && left >= 0 && ch >= 1 && cw >= 1 && top + ch <= height && left + cw <= width;
        double scale = (double)ch * cw / (height * width), ratio = (double)cw / ch;
        // Rounding of the sides moves scale and ratio a little; the fallback keeps the whole (clamped-ratio) image.
        double slack = 2.0 / Math.Min(ch, cw) + 0.02;
        bool inRange = scale >= 0.7 - slack && scale <= 1 + 1e-9 && ratio >= 0.75 - slack && ratio <= 4.0 / 3 + slack
            || (ch == height || cw == width);
        return (fits && inRange).ToProperty().Label($"{height}×{width} → ({top},{left},{ch},{cw})");
    }

    [Fact]
    public void Horizontal_flip_with_probability_one_mirrors_and_zero_copies()
    {
        using var image = RandomImage(3, 4, 5);
        using var flipped = Run(new RandomHorizontalFlip(1), image, 0);
        using var kept = Run(new RandomHorizontalFlip(0), image, 0);
        flipped[0, 1, 0].item<float>().Should().Be(image[0, 1, 4].item<float>());
        flipped[2, 3, 4].item<float>().Should().Be(image[2, 3, 0].item<float>());
        kept.allclose(image, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Grayscale_uses_bt601_luma_on_all_three_channels()
    {
        using var image = tensor(new float[] { 1f, 0f, 0.2f, 0f, 1f, 0.4f, 0f, 0f, 0.6f }, [3, 1, 3]);
        using var gray = Run(new RandomGrayscale(1), image, 0);
        float[] expected = [0.299f, 0.587f, 0.299f * 0.2f + 0.587f * 0.4f + 0.114f * 0.6f];
        for (int c = 0; c < 3; c++)
            for (int x = 0; x < 3; x++)
                gray[c, 0, x].item<float>().Should().BeApproximately(expected[x], 1e-6f);
    }

    [Fact]
    public void Hsv_round_trip_is_the_identity_and_a_third_turn_of_hue_maps_red_to_green()
    {
        using var image = RandomImage(4, 7, 9);
        var (hue, saturation, value) = EdSam.Data.Augmentation.ImageOps.RgbToHsv(image);
        using (hue) using (saturation) using (value)
        using (var back = EdSam.Data.Augmentation.ImageOps.HsvToRgb(hue, saturation, value))
            back.allclose(image, rtol: 0, atol: 1e-5).Should().BeTrue();

        using var red = tensor(new float[] { 1f, 0f, 0f }, [3, 1, 1]);
        var (h, s, v) = EdSam.Data.Augmentation.ImageOps.RgbToHsv(red);
        using (h) using (s) using (v)
        using (var shifted = h.add(1.0 / 3))
        using (var green = EdSam.Data.Augmentation.ImageOps.HsvToRgb(shifted, s, v))
            green.flatten().data<float>().ToArray().Should().BeEquivalentTo(new[] { 0f, 1f, 0f }, o => o.Using<float>(x => x.Subject.Should().BeApproximately(x.Expectation, 1e-5f)).WhenTypeIs<float>());
    }

    [Fact]
    public void Brightness_only_jitter_scales_every_pixel_by_one_factor_within_range()
    {
        using var image = RandomImage(5).mul(0.5);   // stays below 1 after ×1.3, so no clamping
        using var output = Run(new ColorJitter(0.3, 0, 0, 0), image, 9);
        using var mask = image.gt(0.01);
        using var ratio = output.masked_select(mask) / image.masked_select(mask);
        double factor = ratio.mean().item<float>();
        factor.Should().BeInRange(0.7, 1.3);
        ratio.allclose(ones_like(ratio).mul(factor), rtol: 0, atol: 1e-4).Should().BeTrue();
    }

    [Fact]
    public void Zero_strength_color_jitter_is_the_identity()
    {
        using var image = RandomImage(6);
        using var output = Run(new ColorJitter(0, 0, 0, 0), image, 1);
        output.allclose(image, rtol: 0, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void Evaluation_pipeline_resizes_the_short_side_crops_the_centre_and_normalises()
    {
        using var image = RandomImage(7, 10, 20);
        using var resized = Run(new Resize(5), image, 0);
        resized.shape.Should().Equal(3, 5, 10);

        using var cropped = Run(new CenterCrop(4), image, 0);
        cropped.allclose(image.narrow(1, 3, 4).narrow(2, 8, 4), rtol: 0, atol: 0).Should().BeTrue();

        using var normalized = Run(Normalize.Clip, image, 0);
        float expected = (image[1, 2, 3].item<float>() - 0.4578275f) / 0.26130258f;
        normalized[1, 2, 3].item<float>().Should().BeApproximately(expected, 1e-5f);

        using var full = Run(Transforms.Evaluation(8), image, 0);
        full.shape.Should().Equal(3, 8, 8);
        using var reference = new EdSam.Clip.ImagePreprocessor(EdSam.Clip.ImagePreprocessorOptions.Clip(8)).Preprocess(image);
        full.allclose(reference, rtol: 0, atol: 1e-6).Should().BeTrue("the composed pieces are CLIP's own preprocessing");
        using var imageNet = Run(Transforms.Evaluation(EdSam.Clip.ImagePreprocessorOptions.ImageNet(6)), image, 0);
        imageNet.shape.Should().Equal(3, 6, 6);
    }

    [Fact]
    public void Transforms_reject_non_image_tensors_and_bad_parameters()
    {
        using var wrong = zeros(4, 5);
        var act = () => new Resize(3).Apply(wrong, new Random(0));
        act.Should().Throw<ArgumentException>().WithMessage("*Resize expects a float image tensor [3, H, W]*");
        var jitter = () => new ColorJitter(-1, 0, 0, 0.7);
        jitter.Should().Throw<ArgumentException>().WithMessage("*brightness*hue*");
        var crop = () => new RandomResizedCrop(8, 0.9, 0.5);
        crop.Should().Throw<ArgumentException>();
    }
}
