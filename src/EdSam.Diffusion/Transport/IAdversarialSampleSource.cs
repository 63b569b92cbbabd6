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
}
