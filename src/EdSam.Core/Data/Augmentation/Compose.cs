using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>Applies transforms one after another, all drawing from the same <see cref="Random"/>.</summary>
public sealed class Compose : IImageTransform
{
    /// <summary>Creates the pipeline.</summary>
    /// <param name="transforms">The steps, in order (at least one).</param>
    public Compose(params IImageTransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        if (transforms.Length == 0 || transforms.Any(t => t is null))
            throw new ArgumentException("A pipeline needs at least one transform and no null entries.", nameof(transforms));
        Transforms = transforms.ToArray();
    }

    /// <summary>The steps, in order.</summary>
    public IReadOnlyList<IImageTransform> Transforms { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        Tensor current = image;
        foreach (var transform in Transforms)
        {
            var next = transform.Apply(current, random);
            if (!ReferenceEquals(current, image)) current.Dispose();
            current = next;
        }
        return current;
    }
}
