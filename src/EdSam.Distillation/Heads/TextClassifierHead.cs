using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation.Heads;

/// <summary>
/// The zero-shot classifier of VL2V-ADiP's predictions: a fixed (never trained) matrix T_c of the teacher's text
/// embeddings of the class prompts, <c>[C, d_teacher]</c>, rows L2-normalised; logits = scale · normalise(z) @ T_cᵀ,
/// i.e. scale × cosine similarity (scale = exp(logit_scale) = 100 for CLIP).
/// </summary>
/// <remarks>
/// T_c is a persistent buffer named <c>class_embeddings</c>, so it is saved with the model but is not a parameter:
/// optimisers never see it and no gradient flows into it.
/// </remarks>
public sealed class TextClassifierHead : Module<Tensor, Tensor>
{
    /// <summary>CLIP's trained temperature: exp(logit_scale) is clamped to 100 in training and is 100 in OpenAI's checkpoints.</summary>
    public const double ClipLogitScale = 100.0;

    private readonly Tensor class_embeddings;

    /// <summary>Creates the head from class text embeddings.</summary>
    /// <param name="classEmbeddings">Teacher text embeddings <c>[C, D]</c>, floating point, any device (copied; rows are L2-normalised here, a no-op if they already are).</param>
    /// <param name="scale">Multiplier of the cosine similarity; <see cref="ClipLogitScale"/> for CLIP.</param>
    /// <exception cref="ArgumentException">The embeddings are not a non-empty floating-point matrix, contain a zero or non-finite row, or the scale is not positive and finite.</exception>
    public TextClassifierHead(Tensor classEmbeddings, double scale = ClipLogitScale) : base(nameof(TextClassifierHead))
    {
        ArgumentNullException.ThrowIfNull(classEmbeddings);
        if (classEmbeddings.Dimensions != 2 || classEmbeddings.shape[0] < 1 || classEmbeddings.shape[1] < 1)
            throw new ArgumentException($"Class embeddings must be a [C, D] matrix with C, D ≥ 1; got [{string.Join(", ", classEmbeddings.shape)}].", nameof(classEmbeddings));
        if (!classEmbeddings.is_floating_point())
            throw new ArgumentException($"Class embeddings must be floating point; got dtype {classEmbeddings.dtype}.", nameof(classEmbeddings));
        if (!(scale > 0) || double.IsInfinity(scale))
            throw new ArgumentException($"The logit scale must be positive and finite; got {scale}.", nameof(scale));

        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var norms = classEmbeddings.detach().norm(1);
            if (!norms.isfinite().all().item<bool>() || norms.min().item<float>() == 0f)
                throw new ArgumentException("Class embeddings contain a zero or non-finite row; every class needs a real text embedding.", nameof(classEmbeddings));
            class_embeddings = scope.MoveToOuter(functional.normalize(classEmbeddings.detach(), dim: 1).contiguous());
        }
        Scale = scale;
        register_buffer(nameof(class_embeddings), class_embeddings, persistent: true);
        RegisterComponents();
    }

    /// <summary>Number of classes C.</summary>
    public int NumClasses => (int)class_embeddings.shape[0];

    /// <summary>Embedding width D.</summary>
    public int EmbedDim => (int)class_embeddings.shape[1];

    /// <summary>Multiplier of the cosine similarity.</summary>
    public double Scale { get; }

    /// <summary>The normalised class embeddings <c>[C, D]</c> (the module's buffer; do not dispose).</summary>
    public Tensor ClassEmbeddings => class_embeddings;

    /// <summary>Class logits.</summary>
    /// <param name="embeddings">Student (or teacher) image embeddings <c>[N, D]</c>; normalised here, so raw projections work too.</param>
    /// <returns><c>[N, C]</c> = Scale × cos(embedding, class embedding), in [−Scale, Scale].</returns>
    /// <exception cref="ArgumentException">The input is not <c>[N, D]</c>.</exception>
    public override Tensor forward(Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Dimensions != 2 || embeddings.shape[1] != EmbedDim)
            throw new ArgumentException($"Embeddings must have shape [N, {EmbedDim}]; got [{string.Join(", ", embeddings.shape)}].", nameof(embeddings));
        using var scope = NewDisposeScope();
        var z = functional.normalize(embeddings.to(class_embeddings.dtype, class_embeddings.device), dim: -1);
        return scope.MoveToOuter(z.matmul(class_embeddings.t()).mul_(Scale));
    }
}
