using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>Mirrors the image left–right with probability <see cref="Probability"/>.</summary>
public sealed class RandomHorizontalFlip : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="probability">Chance of a flip, in [0, 1].</param>
    public RandomHorizontalFlip(double probability = 0.5)
    {
        Probability = ImageOps.RequireProbability(probability, nameof(probability));
    }

    /// <summary>Chance of a flip.</summary>
    public double Probability { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(RandomHorizontalFlip));
        ArgumentNullException.ThrowIfNull(random);
        return random.NextDouble() < Probability ? image.flip(2) : image.clone();
    }
}
