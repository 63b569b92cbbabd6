using EdSam.Data.Augmentation;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace EdSam.Data;

/// <summary>A map-style TorchSharp data set (<c>torch.utils.data.Dataset&lt;T&gt;</c>) over a list of examples:
/// <see cref="GetTensor"/> decodes one image and applies the transform, so TorchSharp's <c>DataLoader</c> does
/// the batching, shuffling and parallel decoding. Use <see cref="ExampleLoader.Create"/> for the usual set-up.</summary>
/// <remarks>
/// The transform's randomness for index <c>i</c> comes from a <see cref="Random"/> seeded with
/// (<see cref="Seed"/>, <see cref="Epoch"/>, <c>i</c>): parallel workers decode in any order, yet the same seed
/// gives the same augmented pixels; bump <see cref="Epoch"/> (the loader's shuffler does) for fresh augmentations.
/// Under <see cref="BadInputPolicy.Skip"/>, an undecodable image yields null, which the collate leaves out.
/// </remarks>
public sealed class ExampleDataset : torch.utils.data.Dataset<LoadedExample?>
{
    private readonly IReadOnlyList<Example> examples;
    private readonly IImageTransform? transform;
    private readonly BadInputGuard guard;

    /// <summary>Creates the data set.</summary>
    /// <param name="examples">The examples (not copied).</param>
    /// <param name="transform">Applied to each decoded image, or null for none.</param>
    /// <param name="seed">Seed of the transforms' randomness.</param>
    /// <param name="policy">What to do with an image that cannot be loaded.</param>
    /// <param name="logger">Receives a warning per skipped image.</param>
    public ExampleDataset(IReadOnlyList<Example> examples, IImageTransform? transform = null, int seed = 0,
        BadInputPolicy policy = BadInputPolicy.Fail, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        this.examples = examples;
        this.transform = transform;
        Seed = seed;
        guard = new BadInputGuard(policy, logger);
    }

    /// <summary>Seed of the transforms' randomness.</summary>
    public int Seed { get; }

    /// <summary>Current epoch, mixed into the per-example seed so that each epoch augments differently.</summary>
    public int Epoch { get; set; }

    /// <summary>Images skipped (under <see cref="BadInputPolicy.Skip"/>) so far.</summary>
    public long SkippedCount => guard.SkippedCount;

    /// <summary>The examples.</summary>
    public IReadOnlyList<Example> Examples => examples;

    /// <inheritdoc/>
    public override long Count => examples.Count;

    /// <summary>Decodes and transforms example <paramref name="index"/>. The caller (or the DataLoader) owns the
    /// returned image tensor. Returns null for a bad image under <see cref="BadInputPolicy.Skip"/>.</summary>
    /// <exception cref="FileNotFoundException">Missing image file (under <see cref="BadInputPolicy.Fail"/>).</exception>
    /// <exception cref="Imaging.ImageDecodeException">Undecodable image (under <see cref="BadInputPolicy.Fail"/>).</exception>
    public override LoadedExample? GetTensor(long index)
    {
        var example = examples[checked((int)index)];
        return LoadedExample.Load(example, transform, StableHash.Combine(Seed, Epoch, index), guard);
    }
}
