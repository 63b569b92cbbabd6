using EdSam.Data.FashionMnist;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests.Data.FashionMnist;

public class FashionMnistRendererTests
{
    private const int Batch = 40;

    public static TheoryData<FashionMnistDomain> AllDomains()
    {
        var data = new TheoryData<FashionMnistDomain>();
        foreach (var d in FashionMnistDomains.All) data.Add(d);
        return data;
    }

    private static Tensor RenderFirst(FashionMnistDomain domain, int size = 32, int seed = 0, int count = Batch)
    {
        var (indices, ids) = EmbeddedPictures.First(count);
        return new FashionMnistRenderer(size, seed).Render(domain, EmbeddedPictures.Value.Images, indices, ids);
    }

    [Theory]
    [MemberData(nameof(AllDomains))]
    public void Renders_float32_rgb_of_the_requested_size_within_0_1(FashionMnistDomain domain)
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        foreach (int size in new[] { 32, 21 })
        {
            using var images = RenderFirst(domain, size);
            images.dtype.Should().Be(ScalarType.Float32);
            images.shape.Should().Equal(Batch, 3, size, size);
            images.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
            images.max().item<float>().Should().BeLessThanOrEqualTo(1f);
        }
    }

    [Theory]
    [MemberData(nameof(AllDomains))]
    public void Same_ids_and_seed_give_identical_images_alone_or_in_a_batch(FashionMnistDomain domain)
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        using var first = RenderFirst(domain);
        using var again = RenderFirst(domain);
        first.allclose(again, rtol: 0, atol: 0).Should().BeTrue("rendering is a function of (seed, domain, image id)");

        // Image 7 alone, and in a reversed batch, as in the middle of the original batch.
        var renderer = new FashionMnistRenderer(32, 0);
        var pictures = EmbeddedPictures.Value;
        using var alone = renderer.Render(domain, pictures.Images, [7], [pictures.Ids[7]]);
        int[] reversed = Enumerable.Range(0, 10).Reverse().ToArray();
        using var shuffled = renderer.Render(domain, pictures.Images, reversed, reversed.Select(i => pictures.Ids[i]).ToArray());
        alone[0].allclose(first[7], rtol: 0, atol: 1e-6).Should().BeTrue();
        shuffled[2].allclose(first[7], rtol: 0, atol: 1e-6).Should().BeTrue();
    }

    [Theory]
    [InlineData(FashionMnistDomain.Photo, false)]
    [InlineData(FashionMnistDomain.Negative, false)]
    [InlineData(FashionMnistDomain.Sketch, false)]
    [InlineData(FashionMnistDomain.BlurredNoisy, true)]
    [InlineData(FashionMnistDomain.TintedTexture, true)]
    [InlineData(FashionMnistDomain.Rotated, true)]
    public void Only_the_random_domains_depend_on_the_seed(FashionMnistDomain domain, bool random)
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        using var seed0 = RenderFirst(domain, seed: 0, count: 8);
        using var seed1 = RenderFirst(domain, seed: 1, count: 8);
        seed0.allclose(seed1, rtol: 0, atol: 0).Should().Be(!random);
    }

    [Fact]
    public void Photo_at_28_pixels_is_the_picture_over_255_in_every_channel()
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        var pictures = EmbeddedPictures.Value;
        using var photo = RenderFirst(FashionMnistDomain.Photo, size: 28, count: 3);
        for (int i = 0; i < 3; i++)
        {
            float[] expected = pictures.Images.Image(i).ToArray().Select(p => p / 255f).ToArray();
            for (int c = 0; c < 3; c++)
            {
                float[] actual = photo[i, c].flatten().data<float>().ToArray();
                actual.Zip(expected).Should().OnlyContain(pair => Math.Abs(pair.First - pair.Second) < 1e-5f);
            }
        }
    }

    [Fact]
    public void Photo_is_gray_and_resizing_keeps_the_mean_brightness()
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        using var photo = RenderFirst(FashionMnistDomain.Photo);
        photo[.., 0].allclose(photo[.., 1], rtol: 0, atol: 0).Should().BeTrue();
        photo[.., 0].allclose(photo[.., 2], rtol: 0, atol: 0).Should().BeTrue();
        double pictureMean = Enumerable.Range(0, Batch).Average(i => EmbeddedPictures.Value.Images.Image(i).ToArray().Average(p => p / 255.0));
        photo.mean().item<float>().Should().BeApproximately((float)pictureMean, 0.02f);
    }

    [Fact]
    public void Negative_is_one_minus_photo_and_its_mean_is_one_minus_the_photo_mean()
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        using var photo = RenderFirst(FashionMnistDomain.Photo);
        using var negative = RenderFirst(FashionMnistDomain.Negative);
        negative.allclose(1 - photo, rtol: 0, atol: 1e-6).Should().BeTrue();
        negative.mean().item<float>().Should().BeApproximately(1 - photo.mean().item<float>(), 1e-5f);
        photo.mean().item<float>().Should().BeLessThan(0.5f, "Fashion-MNIST is mostly black background");
        negative.mean().item<float>().Should().BeGreaterThan(0.5f);
    }

    [Fact]
    public void Sketch_is_mostly_white_with_dark_lines_only_where_the_photo_has_edges()
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        using var sketch = RenderFirst(FashionMnistDomain.Sketch);
        sketch.mean().item<float>().Should().BeGreaterThan(0.7f, "a sketch is a white page with a few lines");
        double darkFraction = sketch.lt(0.5f).to_type(ScalarType.Float32).mean().item<float>();
        darkFraction.Should().BeInRange(0.02, 0.3, "contours are a small part of the picture");

        // A filled square: dark pixels only on its border, white inside and outside (closed form of an edge map).
        var square = new byte[28 * 28];
        for (int y = 8; y < 20; y++) for (int x = 8; x < 20; x++) square[y * 28 + x] = 255;
        using var picture = torch.tensor(square, new long[] { 1, 28, 28 }, ScalarType.Byte);
        using var rendered = new FashionMnistRenderer(28).Render(FashionMnistDomain.Sketch, picture, [0]);
        var gray = rendered[0, 0].data<float>().ToArray();
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
            {
                bool nearBorder = Math.Max(Math.Abs(x - 13.5), Math.Abs(y - 13.5)) is >= 5.5 and <= 6.5; // the pixel rows either side of the edges at 7.5 and 19.5
                if (gray[y * 28 + x] < 0.5f) nearBorder.Should().BeTrue($"pixel ({x}, {y}) is dark");
            }
        gray[14 * 28 + 14].Should().Be(1f);
        gray[0].Should().Be(1f);
        gray[8 * 28 + 13].Should().BeLessThan(0.5f, "the top edge of the square is drawn");

        // A blank picture has no edges: a blank page.
        using var blank = torch.zeros(1, 28, 28, ScalarType.Byte);
        using var page = new FashionMnistRenderer(28).Render(FashionMnistDomain.Sketch, blank, [0]);
        page.min().item<float>().Should().Be(1f);
    }

    [Fact]
    public void Blurred_noisy_keeps_the_brightness_adds_noise_and_matches_a_blurred_photo_better_than_the_photo()
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        using var photo = RenderFirst(FashionMnistDomain.Photo, size: 28);
        using var degraded = RenderFirst(FashionMnistDomain.BlurredNoisy, size: 28);
        degraded.mean().item<float>().Should().BeApproximately(photo.mean().item<float>(), 0.05f);
        // Colour noise: channels now differ pixel by pixel (the photo's are equal).
        (degraded[.., 0] - degraded[.., 1]).std().item<float>().Should().BeGreaterThan(0.05f);

        // Averaging the channels cuts the noise; the result must correlate better with an independently blurred
        // photo (σ = 1.1 px, the middle of the documented [0.7, 1.5]) than with the sharp photo.
        double sharp = 0, blurred = 0;
        for (int i = 0; i < Batch; i++)
        {
            float[] observed = degraded[i].mean([0]).flatten().data<float>().ToArray();
            float[] original = photo[i, 0].flatten().data<float>().ToArray();
            sharp += Correlation(observed, original);
            blurred += Correlation(observed, GaussianBlur(original, 28, 1.1));
        }
        (blurred / Batch).Should().BeGreaterThan(sharp / Batch + 0.02);
    }

    [Fact]
    public void Tinted_texture_adds_colour_and_fills_the_black_background()
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        using var photo = RenderFirst(FashionMnistDomain.Photo);
        using var painting = RenderFirst(FashionMnistDomain.TintedTexture);
        using var saturation = painting.amax([1]) - painting.amin([1]);
        saturation.mean().item<float>().Should().BeGreaterThan(0.15f, "photo has none (R = G = B)");
        using var background = photo[.., 0].eq(0f).unsqueeze(1).expand(-1, 3, -1, -1);
        painting.masked_select(background).mean().item<float>().Should().BeGreaterThan(0.3f, "the photo's background is black");
        // Background varies within an image: a texture, not a flat fill.
        double meanStd = Enumerable.Range(0, 10).Average(i =>
        {
            using var mask = photo[i].eq(0f);
            using var values = painting[i].masked_select(mask);
            using var std = values.std();
            return std.item<float>();
        });
        meanStd.Should().BeGreaterThan(0.03);
    }

    [Fact]
    public void Rotation_angles_are_between_15_and_45_degrees_of_both_signs()
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        var renderer = new FashionMnistRenderer();
        var angles = Enumerable.Range(0, 1000).Select(i => renderer.RotationDegrees(i)).ToArray();
        angles.Select(Math.Abs).Should().OnlyContain(a => a >= 15 && a < 45);
        angles.Count(a => a > 0).Should().BeInRange(400, 600);
        angles.Select(Math.Abs).Max().Should().BeGreaterThan(40);
        angles.Select(Math.Abs).Min().Should().BeLessThan(20);
    }

    [Fact]
    public void Rotated_turns_a_marker_about_the_centre_by_the_reported_angle_clockwise()
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        // A 2 × 2 dot 8 px right of the centre (13.5, 13.5); after a clockwise turn by θ on screen (y down) its
        // centroid is at angle θ below the x axis: atan2(dy, dx) = θ, radius unchanged.
        var dot = new byte[28 * 28];
        for (int y = 13; y <= 14; y++) for (int x = 21; x <= 22; x++) dot[y * 28 + x] = 255;
        using var picture = torch.tensor(dot, new long[] { 1, 28, 28 }, ScalarType.Byte);
        var renderer = new FashionMnistRenderer(28);
        foreach (long id in new long[] { 0, 1, 2, 3, 4, 5 })
        {
            using var rotated = renderer.Render(FashionMnistDomain.Rotated, picture, [id]);
            var gray = rotated[0, 0].data<float>().ToArray();
            double mass = 0, cx = 0, cy = 0;
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++) { double w = gray[y * 28 + x]; mass += w; cx += w * x; cy += w * y; }
            cx = cx / mass - 13.5; cy = cy / mass - 13.5;
            double degrees = Math.Atan2(cy, cx) * 180 / Math.PI;
            degrees.Should().BeApproximately(renderer.RotationDegrees(id), 2.0, $"image id {id}");
            Math.Sqrt(cx * cx + cy * cy).Should().BeApproximately(8, 0.5);
        }
    }

    [Theory]
    [MemberData(nameof(AllDomains))]
    public void Every_domain_but_photo_differs_measurably_from_photo(FashionMnistDomain domain)
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        using var photo = RenderFirst(FashionMnistDomain.Photo);
        using var other = RenderFirst(domain);
        double difference = (other - photo).abs().mean().item<float>();
        if (domain == FashionMnistDomain.Photo) difference.Should().Be(0);
        else difference.Should().BeGreaterThan(0.05, $"{domain.Name()} is a distribution shift");
    }

    [Fact]
    public void Bad_arguments_are_rejected_with_what_was_expected()
    {
        using var scope = torch.NewDisposeScope(); // the assertions make many temporary tensors
        var renderer = new FashionMnistRenderer();
        using var wrongRank = torch.zeros(28, 28, ScalarType.Byte);
        var act = () => renderer.Render(FashionMnistDomain.Photo, wrongRank, [0]);
        act.Should().Throw<ArgumentException>().WithMessage("*[B, H, W]*got [28, 28]*");
        using var two = torch.zeros(2, 28, 28, ScalarType.Byte);
        act = () => renderer.Render(FashionMnistDomain.Photo, two, [0]);
        act.Should().Throw<ArgumentException>().WithMessage("Got 1 image ids for 2 pictures.*");
        var size = () => new FashionMnistRenderer(4);
        size.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[8, 1024]*");
        act = () => renderer.Render((FashionMnistDomain)42, two, [0, 1]);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb); }
        return sab / Math.Sqrt(saa * sbb);
    }

    // Direct 2-D Gaussian blur with zero padding, written out for the test.
    private static float[] GaussianBlur(float[] image, int size, double sigma)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var result = new float[image.Length];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double sum = 0, weights = 0;
                for (int dy = -radius; dy <= radius; dy++)
                    for (int dx = -radius; dx <= radius; dx++)
                    {
                        double w = Math.Exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
                        weights += w;
                        int yy = y + dy, xx = x + dx;
                        if (yy >= 0 && yy < size && xx >= 0 && xx < size) sum += w * image[yy * size + xx];
                    }
                result[y * size + x] = (float)(sum / weights);
            }
        return result;
    }
}
