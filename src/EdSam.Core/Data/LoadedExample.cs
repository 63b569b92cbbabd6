using static TorchSharp.torch;

namespace EdSam.Data;

/// <summary>An <see cref="Example"/> with its image decoded and transformed: the element type of
/// <see cref="ExampleDataset"/>, and what <see cref="ExampleBatch.Collate"/> stacks.</summary>
/// <param name="Source">The example (caption, label, domain, key).</param>
/// <param name="Image">float32 [3, H, W] (in [0, 1], or normalised if the transform normalises).</param>
public sealed record LoadedExample(Example Source, Tensor Image);
