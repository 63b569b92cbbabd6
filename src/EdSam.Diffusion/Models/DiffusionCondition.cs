using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Models;

/// <summary>
/// What a conditional denoiser is told about each sample of a batch. Either part may be absent.
/// Per sample, the "null" condition used by classifier-free guidance is spelled the same way for every model:
/// class label <see cref="NullClassLabel"/> (−1; the model maps it to its learned null class) and an all-zero
/// text embedding row — the same values conditioning dropout writes during training.
/// </summary>
/// <param name="ClassLabels">int64 [N] class indices in [0, classes), or <see cref="NullClassLabel"/> for "no class".</param>
/// <param name="TextEmbeddings">float [N, D] text features (e.g. CLIP <c>EncodeText</c> output); a zero row means "no text".</param>
public sealed record DiffusionCondition(Tensor? ClassLabels = null, Tensor? TextEmbeddings = null)
{
    /// <summary>The class label that means "unconditional" (mapped by the model to its learned null class).</summary>
    public const long NullClassLabel = -1;

    /// <summary>Batch size N implied by the parts that are present, or null when both are absent.</summary>
    /// <exception cref="ArgumentException">The parts disagree on N or have the wrong rank.</exception>
    public long? BatchSize
    {
        get
        {
            if (ClassLabels is not null && ClassLabels.dim() != 1)
                throw new ArgumentException($"ClassLabels must be int64 [N], got shape [{string.Join(",", ClassLabels.shape)}]", nameof(ClassLabels));
            if (TextEmbeddings is not null && TextEmbeddings.dim() != 2)
                throw new ArgumentException($"TextEmbeddings must be float [N, D], got shape [{string.Join(",", TextEmbeddings.shape)}]", nameof(TextEmbeddings));
            long? labels = ClassLabels?.shape[0], text = TextEmbeddings?.shape[0];
            if (labels is not null && text is not null && labels != text)
                throw new ArgumentException($"ClassLabels has {labels} rows but TextEmbeddings has {text}");
            return labels ?? text;
        }
    }

    /// <summary>The null condition for every sample, with the same parts and shapes as this one (new tensors the caller owns).</summary>
    public DiffusionCondition ToUnconditional() => new(
        ClassLabels is null ? null : full_like(ClassLabels, NullClassLabel),
        TextEmbeddings is null ? null : zeros_like(TextEmbeddings));

    /// <summary>Stacks <paramref name="first"/> over <paramref name="second"/> along the batch (for one batched guided call).</summary>
    /// <exception cref="ArgumentException">One condition has a part the other lacks.</exception>
    public static DiffusionCondition Concatenate(DiffusionCondition first, DiffusionCondition second)
    {
        if ((first.ClassLabels is null) != (second.ClassLabels is null) || (first.TextEmbeddings is null) != (second.TextEmbeddings is null))
            throw new ArgumentException("Both conditions must have the same parts (class labels and/or text embeddings) to be concatenated.");
        return new(
            first.ClassLabels is null ? null : cat(new[] { first.ClassLabels, second.ClassLabels! }, 0),
            first.TextEmbeddings is null ? null : cat(new[] { first.TextEmbeddings, second.TextEmbeddings! }, 0));
    }

    /// <summary>
    /// Replaces the condition of the samples where <paramref name="dropMask"/> is true by the null condition
    /// (conditioning dropout, Ho &amp; Salimans 2022, which trains the unconditional model used by guidance).
    /// </summary>
    /// <param name="dropMask">bool [N].</param>
    public DiffusionCondition DropWhere(Tensor dropMask)
    {
        using var scope = NewDisposeScope();
        Tensor? labels = null, text = null;
        if (ClassLabels is not null)
            labels = where(dropMask.to(ClassLabels.device), full_like(ClassLabels, NullClassLabel), ClassLabels);
        if (TextEmbeddings is not null)
            text = where(dropMask.to(TextEmbeddings.device).unsqueeze(1), zeros_like(TextEmbeddings), TextEmbeddings);
        return new(labels is null ? null : scope.MoveToOuter(labels), text is null ? null : scope.MoveToOuter(text));
    }

    /// <summary>The condition moved to <paramref name="device"/> (parts already there are returned as they are).</summary>
    public DiffusionCondition To(Device device) => new(ClassLabels?.to(device), TextEmbeddings?.to(device));
}
