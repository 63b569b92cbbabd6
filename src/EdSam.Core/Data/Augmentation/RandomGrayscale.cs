using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>With probability <see cref="Probability"/>, replaces the image by its luma (BT.601 weights)
/// repeated over the three channels.</summary>
public sealed class RandomGrayscale : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="probability">Chance of converting, in [0, 1].</param>
    public RandomGrayscale(double probability = 0.1)
    {
        Probability = ImageOps.RequireProbability(probability, nameof(probability));
    }

    /// <summary>Chance of converting.</summary>
    public double Probability { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(RandomGrayscale));
        ArgumentNullException.ThrowIfNull(random);
        if (random.NextDouble() >= Probability) return image.clone();
        using var gray = ImageOps.Grayscale(image);
        return gray.expand(3, -1, -1).contiguous();
    }
}
