using EdSam.Diffusion.Models;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Training;

/// <summary>One training batch for <see cref="DiffusionTrainer"/>.</summary>
/// <param name="Images">float [N, C, H, W] with values in [0, 1] (the trainer's autoencoder maps them to diffusion space).</param>
/// <param name="Condition">Class labels (−1 = unlabelled, trained as the null class) and/or text embeddings for the N images; null for unconditional training.</param>
/// <remarks>
/// Tensors created while the trainer enumerates the batch (a lazily computed stream) are disposed with the step;
/// tensors that existed before (an in-memory list) are left alone. With EdSam's data loaders:
/// <c>loader.Select(b =&gt; new DiffusionBatch(b.Images, new DiffusionCondition(b.Labels)))</c>.
/// </remarks>
public sealed record DiffusionBatch(Tensor Images, DiffusionCondition? Condition = null);
