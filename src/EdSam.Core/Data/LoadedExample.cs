using EdSam.Data.Augmentation;
using EdSam.Imaging;
using static TorchSharp.torch;

namespace EdSam.Data;

/// <summary>An <see cref="Example"/> with its image decoded and transformed: the element type of
/// <see cref="ExampleDataset"/>, and what <see cref="ExampleBatch.Collate"/> stacks.</summary>
/// <param name="Source">The example (caption, label, domain, key).</param>
/// <param name="Image">float32 [3, H, W] (in [0, 1], or normalised if the transform normalises).</param>
public sealed record LoadedExample(Example Source, Tensor Image)
{
    /// <summary>Decodes <paramref name="example"/>'s image and applies <paramref name="transform"/> with a
    /// <see cref="Random"/> seeded by <paramref name="seed"/>. A missing or undecodable image goes to
    /// <paramref name="guard"/>: thrown under Fail, null (counted, logged) under Skip.</summary>
    internal static LoadedExample? Load(Example example, IImageTransform? transform, int seed, BadInputGuard guard)
    {
        Tensor image;
        try
        {
            image = example.Image.Load();
        }
        catch (Exception e) when (e is FileNotFoundException or ImageDecodeException or DataInputException or IOException)
        {
            guard.Report(e);
            return null;
        }
        if (transform is null) return new LoadedExample(example, image);
        using (image) return new LoadedExample(example, transform.Apply(image, new Random(seed)));
    }
}
