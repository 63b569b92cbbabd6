using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>Tensor recipes shared by the transforms (all on [3, H, W] float images).</summary>
internal static class ImageOps
{
    // ITU-R BT.601 luma weights, the ones torchvision and PIL use for "L" conversion.
    private const double RedWeight = 0.299, GreenWeight = 0.587, BlueWeight = 0.114;

    public static void RequireImage(Tensor image, string transform)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 3 || image.shape[0] != 3 || !image.is_floating_point())
            throw new ArgumentException($"{transform} expects a float image tensor [3, H, W]; got {image.dtype} [{string.Join(", ", image.shape)}].", nameof(image));
    }

    public static double RequireProbability(double probability, string name) =>
        probability is >= 0 and <= 1 ? probability : throw new ArgumentOutOfRangeException(name, probability, "A probability must be in [0, 1].");

    /// <summary>Luma as [1, H, W].</summary>
    public static Tensor Grayscale(Tensor image)
    {
        using var scope = NewDisposeScope();
        var gray = image[0].mul(RedWeight).add_(image[1].mul(GreenWeight)).add_(image[2].mul(BlueWeight)).unsqueeze(0);
        return scope.MoveToOuter(gray);
    }

    /// <summary>Resamples to exactly [3, height, width] (bilinear, anti-aliased when shrinking, as PIL does).</summary>
    public static Tensor Resize(Tensor image, long height, long width)
    {
        if (image.shape[1] == height && image.shape[2] == width) return image.clone();
        using var scope = NewDisposeScope();
        var resized = nn.functional.interpolate(image.unsqueeze(0), [height, width], mode: InterpolationMode.Bilinear,
            align_corners: false, antialias: true).squeeze(0);
        return scope.MoveToOuter(resized);
    }

    /// <summary>The [3, h, w] window at (top, left), copied.</summary>
    public static Tensor Crop(Tensor image, long top, long left, long height, long width)
    {
        using var scope = NewDisposeScope();
        var crop = image.narrow(1, top, height).narrow(2, left, width).contiguous().clone();
        return scope.MoveToOuter(crop);
    }

    /// <summary>RGB in [0, 1] → (hue in [0, 1), saturation, value), each [H, W].</summary>
    public static (Tensor Hue, Tensor Saturation, Tensor Value) RgbToHsv(Tensor rgb)
    {
        using var scope = NewDisposeScope();
        Tensor r = rgb[0], g = rgb[1], b = rgb[2];
        var max = rgb.amax([0L]);
        var min = rgb.amin([0L]);
        var chroma = max - min;
        var safeChroma = chroma.clamp_min(1e-12);
        // Hue sector: which channel is the maximum decides the 60° sector (in units of 1/6 turn).
        var sixths = where(max.eq(r), (g - b) / safeChroma,
                     where(max.eq(g), (b - r) / safeChroma + 2,
                                      (r - g) / safeChroma + 4));
        var hue = where(chroma.gt(0), sixths.div(6).remainder(1.0), zeros_like(max));
        var saturation = where(max.gt(0), chroma / max.clamp_min(1e-12), zeros_like(max));
        return (scope.MoveToOuter(hue), scope.MoveToOuter(saturation), scope.MoveToOuter(max.clone()));
    }

    /// <summary>(hue, saturation, value) → RGB [3, H, W], by the closed form
    /// <c>c_n = V − V·S·clamp(min(k, 4 − k), 0, 1)</c>, <c>k = (n + 6H) mod 6</c>, n = 5, 3, 1 for R, G, B.</summary>
    public static Tensor HsvToRgb(Tensor hue, Tensor saturation, Tensor value)
    {
        using var scope = NewDisposeScope();
        Tensor Channel(double n)
        {
            var k = hue.mul(6).add(n).remainder(6.0);
            var ramp = minimum(k, k.neg().add(4)).clamp(0, 1);
            return value - value * saturation * ramp;
        }
        var rgb = stack([Channel(5), Channel(3), Channel(1)], 0);
        return scope.MoveToOuter(rgb);
    }
}
