namespace EdSam.IO;

/// <summary>What a strict load did besides copying tensors.</summary>
/// <param name="LoadedKeys">Module keys filled from the checkpoint.</param>
/// <param name="IgnoredKeys">Keys skipped on purpose (a classification head), from the checkpoint, the module or both.</param>
/// <param name="DefaultedKeys">Module keys the checkpoint lacks but that may be absent (BatchNorm's <c>num_batches_tracked</c> counter, missing from pre-1.0 PyTorch checkpoints such as torchvision's ImageNet ResNets); they keep their value.</param>
/// <param name="Notes">Human-readable notes on the above and on conversions applied (prefix stripping, positional-embedding resizing).</param>
public sealed record StateDictLoadReport(
    IReadOnlyList<string> LoadedKeys,
    IReadOnlyList<string> IgnoredKeys,
    IReadOnlyList<string> DefaultedKeys,
    IReadOnlyList<string> Notes);
