using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>
/// CLIP's symmetric InfoNCE loss (Radford et al. 2021, Fig. 3): for a batch of N matching image/text pairs,
/// logits = exp(logit_scale) · normalise(image) · normalise(text)ᵀ and
/// loss = ½·(CE(logits, 0..N−1) + CE(logitsᵀ, 0..N−1)), with cross-entropy averaged over the batch.
/// </summary>
public static class ClipContrastiveLoss
{
    /// <summary>ln 100: CLIP clamps the learnt temperature so the logit scale never exceeds 100.</summary>
    public static readonly double MaxLogitScale = Math.Log(100);

    /// <summary>Computes the loss.</summary>
    /// <param name="imageFeatures">[N, D] image embeddings (not necessarily L2-normalised; they are normalised here).</param>
    /// <param name="textFeatures">[N, D] text embeddings; row i describes image i.</param>
    /// <param name="logitScale">The learnt log-temperature (CLIP's <c>logit_scale</c> parameter, a scalar or one-element
    /// tensor, initialised to ln(1/0.07)); clamped to at most ln 100 before exponentiation, gradients flow through it.</param>
    /// <returns>A scalar loss tensor (natural-log units) owned by the caller.</returns>
    /// <exception cref="ArgumentException">Shapes are not [N, D] and [N, D] with N ≥ 1, or <paramref name="logitScale"/> has more than one element.</exception>
    public static Tensor Compute(Tensor imageFeatures, Tensor textFeatures, Tensor logitScale)
    {
        ArgumentNullException.ThrowIfNull(imageFeatures);
        ArgumentNullException.ThrowIfNull(textFeatures);
        ArgumentNullException.ThrowIfNull(logitScale);
        if (imageFeatures.dim() != 2 || textFeatures.dim() != 2 || !imageFeatures.shape.SequenceEqual(textFeatures.shape) || imageFeatures.shape[0] < 1)
            throw new ArgumentException($"Image and text features must both be [N, D] with N ≥ 1 and equal shapes " +
                                        $"(were [{string.Join(", ", imageFeatures.shape)}] and [{string.Join(", ", textFeatures.shape)}]).");
        if (logitScale.numel() != 1)
            throw new ArgumentException($"logitScale must hold one element (shape was [{string.Join(", ", logitScale.shape)}]).", nameof(logitScale));

        using var scope = torch.NewDisposeScope();
        var logits = Logits(imageFeatures, textFeatures, logitScale);
        var labels = torch.arange(logits.shape[0], dtype: ScalarType.Int64, device: logits.device);
        var loss = (nn.functional.cross_entropy(logits, labels) + nn.functional.cross_entropy(logits.t(), labels)) / 2;
        return scope.MoveToOuter(loss);
    }

    /// <summary>The [N, N] image-to-text logits exp(min(logit_scale, ln 100)) · normalise(image) · normalise(text)ᵀ; the transpose is text-to-image.</summary>
    /// <param name="imageFeatures">[N, D] image embeddings.</param>
    /// <param name="textFeatures">[M, D] text embeddings.</param>
    /// <param name="logitScale">The learnt log-temperature (one element).</param>
    /// <returns>[N, M] logits owned by the caller.</returns>
    public static Tensor Logits(Tensor imageFeatures, Tensor textFeatures, Tensor logitScale)
    {
        using var scope = torch.NewDisposeScope();
        var image = nn.functional.normalize(imageFeatures, p: 2, dim: -1);
        var text = nn.functional.normalize(textFeatures, p: 2, dim: -1);
        var scale = logitScale.reshape([]).clamp(max: MaxLogitScale).exp();
        return scope.MoveToOuter(scale * image.matmul(text.t()));
    }
}
