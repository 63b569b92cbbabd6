using EdSam.Data;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>
/// Where <see cref="EdSamTrainer"/> gets the adversarial sample x* of a training example: shards written offline by
/// <see cref="AugmentationJob"/> (<see cref="ShardAdversarialSource"/>) or generated on the fly
/// (<see cref="SamplerAdversarialSource"/>).
/// </summary>
public interface IAdversarialSampleSource
{
    /// <summary>One adversarial image per example, or null for an example that has none.</summary>
    /// <param name="examples">The training batch.</param>
    /// <param name="choices">Per example, a non-negative number choosing among its M samples (taken modulo M), drawn by
    /// the trainer's seeded generator so the choice is repeatable.</param>
    /// <returns>Per example, float32 [3, H, W] pixels in [0, 1] (the caller disposes it), or null.</returns>
    IReadOnlyList<Tensor?> Get(IReadOnlyList<Example> examples, IReadOnlyList<int> choices);

    /// <summary>
    /// Whether <see cref="Get"/> would return a sample for <paramref name="example"/>, answered without generating or
    /// decoding anything: <see cref="EdSamTrainer"/> asks it for every training example before the first step, refuses
    /// to train when no example is covered and reports partial coverage. Null when the source cannot tell cheaply
    /// (the default; then coverage is not checked).
    /// </summary>
    /// <param name="example">A training example.</param>
    /// <returns>True or false, or null for unknown.</returns>
    bool? HasSamples(Example example) => null;

    /// <summary>
    /// What the samples come from, in a few words (shard file names, "generated on the fly"): recorded in ED-SAM
    /// checkpoints, so a run resumed with another source is refused, and used in error messages.
    /// </summary>
    string Description => GetType().Name;

    /// <summary>A key for which this source holds samples, shown beside a training key when none match (e.g. the
    /// first <c>source</c> key of a shard); null when the source has none or is not keyed.</summary>
    string? ExampleSourceKey => null;
}
