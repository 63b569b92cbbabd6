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
        catch (Exception e) when (e is FileNotFoundException or ImageDecodeException or DataInputException or IOException or UnauthorizedAccessException)
        {
            guard.Report(e);
            return null;
        }
        if (transform is null) return new LoadedExample(example, image);
        using (image) return new LoadedExample(example, transform.Apply(image, new Random(seed)));
    }

    /// <summary>Decodes and transforms <paramref name="batch"/> on <see cref="ExampleLoaderOptions.Workers"/>
    /// threads and collates it. Example <c>i</c>'s randomness is seeded by <paramref name="seedOf"/>(i), so the
    /// result does not depend on thread timing. Null when every image was skipped.</summary>
    internal static ExampleBatch? LoadBatch(IReadOnlyList<Example> batch, Func<int, int> seedOf, ExampleLoaderOptions options, BadInputGuard guard)
    {
        var loaded = new LoadedExample?[batch.Count];
        try
        {
            Parallel.For(0, batch.Count, new ParallelOptions { MaxDegreeOfParallelism = options.Workers },
                i => loaded[i] = Load(batch[i], options.Transform, seedOf(i), guard));
            return loaded.Any(x => x is not null) ? ExampleBatch.Collate(loaded, options.Device) : null;
        }
        catch (AggregateException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.Flatten().InnerExceptions[0]);
            throw;
        }
        finally
        {
            foreach (var item in loaded) item?.Image.Dispose();
        }
    }
}
