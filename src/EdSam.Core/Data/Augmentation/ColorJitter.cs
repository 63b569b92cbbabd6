using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>Random brightness, contrast, saturation and hue changes, applied in a random order (as torchvision's
/// <c>ColorJitter</c>): brightness scales the pixels by a factor in [1 − b, 1 + b]; contrast blends with the
/// mean luma by a factor in [1 − c, 1 + c]; saturation blends with the luma image by a factor in [1 − s, 1 + s];
/// hue rotates the HSV hue by a shift in [−h, h] turns. Results are clamped to [0, 1]. DomainBed's training
/// augmentation uses 0.3 for all four.</summary>
public sealed class ColorJitter : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="brightness">Brightness strength b ≥ 0.</param>
    /// <param name="contrast">Contrast strength c ≥ 0.</param>
    /// <param name="saturation">Saturation strength s ≥ 0.</param>
    /// <param name="hue">Hue strength h in [0, 0.5] (turns of the colour wheel).</param>
    public ColorJitter(double brightness = 0.3, double contrast = 0.3, double saturation = 0.3, double hue = 0.3)
    {
        var errors = new List<string>();
        if (!(brightness >= 0)) errors.Add($"brightness must be ≥ 0 (was {brightness}).");
        if (!(contrast >= 0)) errors.Add($"contrast must be ≥ 0 (was {contrast}).");
        if (!(saturation >= 0)) errors.Add($"saturation must be ≥ 0 (was {saturation}).");
        if (!(hue >= 0 && hue <= 0.5)) errors.Add($"hue must be in [0, 0.5] (was {hue}).");
        OptionsValidationException.ThrowIfAny("ColorJitter", errors);
        Brightness = brightness;
        Contrast = contrast;
        Saturation = saturation;
        Hue = hue;
    }

    /// <summary>Brightness strength.</summary>
    public double Brightness { get; }

    /// <summary>Contrast strength.</summary>
    public double Contrast { get; }

    /// <summary>Saturation strength.</summary>
    public double Saturation { get; }

    /// <summary>Hue strength, in turns.</summary>
    public double Hue { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(ColorJitter));
        ArgumentNullException.ThrowIfNull(random);
        int[] order = [0, 1, 2, 3];
        random.Shuffle(order);
        double brightness = Factor(Brightness, random), contrast = Factor(Contrast, random), saturation = Factor(Saturation, random);
        double hueShift = Hue * (2 * random.NextDouble() - 1);

        using var scope = NewDisposeScope();
        Tensor x = image;
        foreach (int step in order)
        {
            x = step switch
            {
                0 => x.mul(brightness).clamp_(0, 1),
                1 => Blend(x, ImageOps.Grayscale(x).mean(), contrast),
                2 => Blend(x, ImageOps.Grayscale(x), saturation),
                _ => ShiftHue(x, hueShift),
            };
        }
        return scope.MoveToOuter(ReferenceEquals(x, image) ? image.clone() : x);
    }

    private static double Factor(double strength, Random random) =>
        Math.Max(0, 1 - strength + 2 * strength * random.NextDouble());

    /// <summary><c>clamp(factor·x + (1 − factor)·reference, 0, 1)</c>.</summary>
    private static Tensor Blend(Tensor x, Tensor reference, double factor) =>
        x.mul(factor).add_(reference.mul(1 - factor)).clamp_(0, 1);

    private static Tensor ShiftHue(Tensor x, double shift)
    {
        if (shift == 0) return x.clone();
        var (hue, saturation, value) = ImageOps.RgbToHsv(x);
        return ImageOps.HsvToRgb(hue.add(shift).remainder(1.0), saturation, value).clamp_(0, 1);
    }
}
