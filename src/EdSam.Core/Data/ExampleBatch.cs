using static TorchSharp.torch;

namespace EdSam.Data;

/// <summary>A batch of examples: images stacked into one tensor, labels into another, and the strings
/// (captions, domains, keys) kept as .NET lists because tensors cannot hold text; tokenise captions with
/// <c>ClipTokenizer.Tokenize(batch.Captions)</c>.</summary>
public sealed class ExampleBatch : IDisposable
{
    /// <summary>Creates a batch (usually through <see cref="Collate"/>). The batch owns the tensors.</summary>
    /// <param name="images">float32 [N, 3, H, W].</param>
    /// <param name="labels">int64 [N]; −1 where an example has no label.</param>
    /// <param name="examples">The N source examples, in batch order.</param>
    /// <exception cref="ArgumentException">The sizes disagree.</exception>
    public ExampleBatch(Tensor images, Tensor labels, IReadOnlyList<Example> examples)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(examples);
        if (images.dim() != 4 || images.shape[0] != examples.Count || labels.shape.Length != 1 || labels.shape[0] != examples.Count)
            throw new ArgumentException($"A batch of {examples.Count} examples needs images [N,3,H,W] and labels [N]; got [{string.Join(", ", images.shape)}] and [{string.Join(", ", labels.shape)}].");
        Images = images;
        Labels = labels;
        Examples = examples;
        Captions = examples.Select(e => e.Caption).ToArray();
        Domains = examples.Select(e => e.Domain).ToArray();
        Keys = examples.Select(e => e.Key).ToArray();
    }

    /// <summary>Images, float32 [N, 3, H, W].</summary>
    public Tensor Images { get; }

    /// <summary>Class labels, int64 [N]; −1 for unlabelled examples.</summary>
    public Tensor Labels { get; }

    /// <summary>The source examples, in batch order.</summary>
    public IReadOnlyList<Example> Examples { get; }

    /// <summary>Captions (null where an example has none), in batch order.</summary>
    public IReadOnlyList<string?> Captions { get; }

    /// <summary>Domain names (null where unknown), in batch order.</summary>
    public IReadOnlyList<string?> Domains { get; }

    /// <summary>Example keys, in batch order.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Examples.Count;

    /// <summary>Stacks loaded examples into a batch on <paramref name="device"/>; null entries (items skipped
    /// under <see cref="BadInputPolicy.Skip"/>) are left out, so a batch can be smaller than asked. The inputs'
    /// image tensors are not disposed. This is the <c>collate_fn</c> of <see cref="ExampleLoader"/>.</summary>
    /// <param name="items">The loaded examples.</param>
    /// <param name="device">Where the batch tensors go; CPU when null.</param>
    /// <exception cref="ArgumentException">Images of different shapes (add a resize/crop transform) or no items.</exception>
    public static ExampleBatch Collate(IEnumerable<LoadedExample?> items, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        var present = items.Where(x => x is not null).Select(x => x!).ToArray();
        if (present.Length == 0) throw new ArgumentException("Cannot collate an empty batch (every item was skipped or none was given).", nameof(items));
        var shape = present[0].Image.shape;
        foreach (var item in present)
            if (!item.Image.shape.SequenceEqual(shape))
                throw new ArgumentException(
                    $"Images in a batch must share one shape: '{present[0].Source.Key}' is [{string.Join(", ", shape)}] but '{item.Source.Key}' is " +
                    $"[{string.Join(", ", item.Image.shape)}]. Add a resize + crop transform (e.g. Augmentation.Transforms.Evaluation).", nameof(items));

        device ??= CPU;
        var stacked = stack(present.Select(x => x.Image), 0);
        bool onDevice = stacked.device_type == device.type && stacked.device_index == device.index;
        var images = onDevice ? stacked : MoveAndDispose(stacked, device);
        var labels = tensor(present.Select(x => (long)(x.Source.Label ?? -1)).ToArray(), ScalarType.Int64, device);
        return new ExampleBatch(images, labels, present.Select(x => x.Source).ToArray());
    }

    private static Tensor MoveAndDispose(Tensor tensor, Device device)
    {
        var moved = tensor.to(device);
        if (!ReferenceEquals(moved, tensor)) tensor.Dispose();
        return moved;
    }

    /// <summary>Disposes the image and label tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
