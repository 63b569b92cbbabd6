using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EdSam.Data.FashionMnist;

/// <summary>Turns 8-bit grayscale Fashion-MNIST pictures into the RGB images of one
/// <see cref="FashionMnistDomain"/>, in batches, with TorchSharp tensor ops (grid sampling for resizing and
/// rotation, convolutions for blur and Sobel edges).</summary>
/// <remarks>
/// Every random choice (blur width, noise, tint, texture, angle) is drawn from a generator keyed by
/// (<see cref="Seed"/>, domain, image id) alone, so an image renders identically whether it comes alone or in
/// a batch, in any order, on any machine. The pipeline: resample the 28 × 28 picture to
/// <see cref="ImageSize"/> (bilinear; rotated in the same step for <see cref="FashionMnistDomain.Rotated"/>),
/// then apply the domain's look at the output resolution. Pixel-scale constants (blur σ) are given at 28 px
/// and scaled with the output size, so a domain looks the same at 32 or 224 px.
/// </remarks>
public sealed class FashionMnistRenderer
{
    /// <summary>Smallest supported output side in pixels.</summary>
    public const int MinImageSize = 8;

    /// <summary>Largest supported output side in pixels.</summary>
    public const int MaxImageSize = 1024;

    // Documented constants of the domains (docs/fashion-mnist-dg.md lists them).
    internal const double BlurSigmaMin = 0.7, BlurSigmaMax = 1.5;      // pixels at 28 px
    internal const double NoiseStd = 0.08;
    internal const double RotationMinDegrees = 15, RotationMaxDegrees = 45;
    internal const float SketchEdgeLow = 0.2f, SketchEdgeHigh = 0.45f; // of the image's strongest edge

    /// <summary>Creates a renderer.</summary>
    /// <param name="imageSize">Side of the square output images in pixels, in [<see cref="MinImageSize"/>,
    /// <see cref="MaxImageSize"/>]. CLIP models want their own input size (224 for ViT-B); small models train
    /// fastest on the default 32.</param>
    /// <param name="seed">Seed of every random rendering choice.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="imageSize"/> is outside the supported range.</exception>
    public FashionMnistRenderer(int imageSize = 32, int seed = 0)
    {
        if (imageSize < MinImageSize || imageSize > MaxImageSize)
            throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize,
                $"The image size must be in [{MinImageSize}, {MaxImageSize}] pixels.");
        ImageSize = imageSize;
        Seed = seed;
    }

    /// <summary>Side of the output images in pixels.</summary>
    public int ImageSize { get; }

    /// <summary>Seed of the random rendering choices.</summary>
    public int Seed { get; }

    /// <summary>Renders a batch.</summary>
    /// <param name="domain">The rendering.</param>
    /// <param name="images">uint8 (0–255) or floating-point (0–1) pictures of shape [B, H, W] (any size; Fashion-MNIST
    /// is 28 × 28), light object on dark background.</param>
    /// <param name="imageIds">One stable id per picture (<see cref="FashionMnistDg"/> uses the test-split index,
    /// and 10,000 + index for the training split): the key of that picture's random choices.</param>
    /// <returns>A new float32 tensor [B, 3, <see cref="ImageSize"/>, <see cref="ImageSize"/>] with values in
    /// [0, 1] on the CPU; the caller owns it.</returns>
    /// <exception cref="ArgumentException">Wrong rank, an empty batch, or a number of ids different from B.</exception>
    public Tensor Render(FashionMnistDomain domain, Tensor images, IReadOnlyList<long> imageIds)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(imageIds);
        if (images.dim() != 3 || images.shape[0] == 0 || images.shape[1] == 0 || images.shape[2] == 0)
            throw new ArgumentException($"Expected a non-empty batch of grayscale pictures [B, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        if (imageIds.Count != images.shape[0])
            throw new ArgumentException($"Got {imageIds.Count} image ids for {images.shape[0]} pictures.", nameof(imageIds));
        _ = domain.Name(); // throws for an undefined enum value

        using var scope = torch.NewDisposeScope();
        Tensor gray = (images.dtype == ScalarType.Byte ? images.to_type(ScalarType.Float32).div_(255f) : images.to_type(ScalarType.Float32))
            .cpu().unsqueeze(1); // [B, 1, H, W]
        Tensor result = domain switch
        {
            FashionMnistDomain.Photo => ToRgb(Resample(gray, null)),
            FashionMnistDomain.Negative => ToRgb(Resample(gray, null).neg().add_(1f)),
            FashionMnistDomain.Sketch => ToRgb(Sketch(Resample(gray, null))),
            FashionMnistDomain.BlurredNoisy => BlurredNoisy(Resample(gray, null), imageIds),
            FashionMnistDomain.TintedTexture => TintedTexture(Resample(gray, null), imageIds),
            FashionMnistDomain.Rotated => ToRgb(Resample(gray, RotationAngles(imageIds))),
            _ => throw new ArgumentOutOfRangeException(nameof(domain)),
        };
        return scope.MoveToOuter(result.clamp(0f, 1f)); // out of place: result may be an expanded view
    }

    /// <summary>Renders pictures selected from an IDX image stack.</summary>
    /// <param name="domain">The rendering.</param>
    /// <param name="images">The stack.</param>
    /// <param name="indices">Indices into <paramref name="images"/>.</param>
    /// <param name="imageIds">One stable id per index (see <see cref="Render(FashionMnistDomain, Tensor, IReadOnlyList{long})"/>).</param>
    /// <returns>A new float32 tensor [B, 3, S, S] in [0, 1].</returns>
    /// <exception cref="ArgumentException">Empty or mismatched lists.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index outside the stack.</exception>
    public Tensor Render(FashionMnistDomain domain, IdxImages images, IReadOnlyList<int> indices, IReadOnlyList<long> imageIds)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0) throw new ArgumentException("At least one index is needed.", nameof(indices));
        var pixels = new byte[indices.Count * images.PixelsPerImage];
        for (int i = 0; i < indices.Count; i++)
            images.Image(indices[i]).CopyTo(pixels.AsSpan(i * images.PixelsPerImage));
        using var batch = torch.tensor(pixels, new long[] { indices.Count, images.Rows, images.Columns }, ScalarType.Byte);
        return Render(domain, batch, imageIds);
    }

    // Step 1 of every domain: bilinear resampling to S × S through an affine sampling grid; with angles, the same
    // grid also rotates about the centre (zeros — the black background — fill what comes in from outside).
    private Tensor Resample(Tensor gray, double[]? anglesDegrees)
    {
        long batch = gray.shape[0];
        var theta = new float[batch * 6];
        for (int i = 0; i < batch; i++)
        {
            double radians = anglesDegrees is null ? 0 : anglesDegrees[i] * Math.PI / 180.0;
            float cos = (float)Math.Cos(radians), sin = (float)Math.Sin(radians);
            // Output pixel (x, y) samples the input at [[cos, sin], [−sin, cos]]·(x, y); with y pointing down the screen,
            // a positive angle turns the picture clockwise.
            theta[i * 6 + 0] = cos; theta[i * 6 + 1] = sin; theta[i * 6 + 2] = 0;
            theta[i * 6 + 3] = -sin; theta[i * 6 + 4] = cos; theta[i * 6 + 5] = 0;
        }
        using var thetaTensor = torch.tensor(theta, new long[] { batch, 2, 3 });
        using var grid = F.affine_grid(thetaTensor, new long[] { batch, 1, ImageSize, ImageSize }, align_corners: false);
        return F.grid_sample(gray, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
    }

    private static Tensor ToRgb(Tensor gray) => gray.expand(-1, 3, -1, -1);

    // Sketch: Sobel gradient magnitude, divided by the image's strongest edge, mapped through a linear ramp
    // between SketchEdgeLow and SketchEdgeHigh (soft threshold: anti-aliased lines), drawn dark on white.
    private static Tensor Sketch(Tensor gray)
    {
        using var kernels = torch.tensor(new float[]
        {
            -1, 0, 1, -2, 0, 2, -1, 0, 1,   // d/dx
            -1, -2, -1, 0, 0, 0, 1, 2, 1,   // d/dy
        }, new long[] { 2, 1, 3, 3 });
        using var gradients = F.conv2d(gray, kernels, padding: new long[] { 1, 1 });
        using var magnitude = gradients.square().sum(1, keepdim: true).sqrt_();
        using var strongest = magnitude.amax(new long[] { 1, 2, 3 }, keepdim: true).clamp_min_(1e-6f);
        using var relative = magnitude.div(strongest);
        using var lines = relative.sub_(SketchEdgeLow).div_(SketchEdgeHigh - SketchEdgeLow).clamp_(0f, 1f);
        return lines.neg().add_(1f);
    }

    // Blurred + noisy: a Gaussian blur per image (σ drawn in [BlurSigmaMin, BlurSigmaMax] at 28 px), done as two
    // batched matrix products G·X·Gᵀ with G[i, j] = g_σ(i − j) — the separable convolution with zero padding,
    // one bmm pair for the whole batch (a grouped conv2d with one group per image is many times slower on CPU) —
    // then per-pixel colour noise N(0, NoiseStd²).
    private Tensor BlurredNoisy(Tensor gray, IReadOnlyList<long> ids)
    {
        int batch = ids.Count, side = ImageSize;
        double scale = side / 28.0;
        var operators = new float[batch * side * side];
        int pixels = 3 * side * side;
        var noise = new float[batch * pixels];
        for (int b = 0; b < batch; b++)
        {
            var rng = SplitMix64.Keyed(Seed, (long)FashionMnistDomain.BlurredNoisy, ids[b]);
            double sigma = rng.Uniform(BlurSigmaMin, BlurSigmaMax) * scale;
            FillBlurOperator(operators.AsSpan(b * side * side, side * side), side, sigma);
            rng.FillGaussian(noise.AsSpan(b * pixels, pixels), NoiseStd);
        }
        using var blur = torch.tensor(operators, new long[] { batch, side, side });
        using var blurT = blur.transpose(1, 2);
        using var rows = torch.bmm(blur, gray.reshape(batch, side, side));
        using var blurred = torch.bmm(rows, blurT);
        using var noiseTensor = torch.tensor(noise, new long[] { batch, 3, side, side });
        return blurred.unsqueeze(1).add(noiseTensor);
    }

    // G[i, j] = exp(−(i − j)² / 2σ²) / Σ_k exp(−k² / 2σ²), |i − j| ≤ 3σ: row i of G is the 1-D Gaussian kernel centred
    // on pixel i, cut at the border (= zero padding), normalised over the whole kernel so brightness is kept.
    private static void FillBlurOperator(Span<float> matrix, int side, double sigma)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var kernel = new double[2 * radius + 1];
        double total = 0;
        for (int k = -radius; k <= radius; k++) total += kernel[k + radius] = Math.Exp(-k * k / (2 * sigma * sigma));
        for (int i = 0; i < side; i++)
            for (int j = Math.Max(0, i - radius); j <= Math.Min(side - 1, i + radius); j++)
                matrix[i * side + j] = (float)(kernel[j - i + radius] / total);
    }

    // Tinted object over texture: the picture's intensity is both the object's opacity (boosted, so the object
    // is solid) and its shading; the object takes one saturated colour, the background a procedural texture.
    private Tensor TintedTexture(Tensor gray, IReadOnlyList<long> ids)
    {
        int batch = ids.Count;
        int plane = ImageSize * ImageSize;
        var tints = new float[batch * 3];
        var textures = new float[batch * 3 * plane];
        for (int b = 0; b < batch; b++)
        {
            var rng = SplitMix64.Keyed(Seed, (long)FashionMnistDomain.TintedTexture, ids[b]);
            var (r, g, bl) = HsvToRgb(rng.NextDouble(), rng.Uniform(0.7, 1.0), rng.Uniform(0.75, 1.0));
            tints[b * 3] = r; tints[b * 3 + 1] = g; tints[b * 3 + 2] = bl;
            ProceduralTexture.Fill(textures.AsSpan(b * 3 * plane, 3 * plane), ImageSize, ref rng);
        }
        using var tint = torch.tensor(tints, new long[] { batch, 3, 1, 1 });
        using var texture = torch.tensor(textures, new long[] { batch, 3, ImageSize, ImageSize });
        using var alpha = gray.mul(1.6f).clamp_(0f, 1f);
        using var shade = gray.mul(0.7f).add_(0.3f);
        using var background = texture.mul(alpha.neg().add(1f));
        return shade.mul(tint).mul_(alpha).add_(background);
    }

    private double[] RotationAngles(IReadOnlyList<long> ids)
    {
        var angles = new double[ids.Count];
        for (int i = 0; i < angles.Length; i++)
        {
            var rng = SplitMix64.Keyed(Seed, (long)FashionMnistDomain.Rotated, ids[i]);
            double magnitude = rng.Uniform(RotationMinDegrees, RotationMaxDegrees);
            angles[i] = rng.NextDouble() < 0.5 ? -magnitude : magnitude;
        }
        return angles;
    }

    /// <summary>The rotation in degrees (positive = clockwise on screen) that <see cref="FashionMnistDomain.Rotated"/>
    /// applies to image <paramref name="imageId"/>.</summary>
    /// <param name="imageId">The image's stable id.</param>
    /// <returns>An angle with magnitude in [15, 45).</returns>
    public double RotationDegrees(long imageId) => RotationAngles([imageId])[0];

    internal static (float R, float G, float B) HsvToRgb(double hue, double saturation, double value)
    {
        double h = (hue - Math.Floor(hue)) * 6;
        int sector = (int)h % 6;
        double f = h - Math.Floor(h);
        double p = value * (1 - saturation), q = value * (1 - saturation * f), t = value * (1 - saturation * (1 - f));
        var (r, g, b) = sector switch
        {
            0 => (value, t, p),
            1 => (q, value, p),
            2 => (p, value, t),
            3 => (p, q, value),
            4 => (t, p, value),
            _ => (value, p, q),
        };
        return ((float)r, (float)g, (float)b);
    }
}
