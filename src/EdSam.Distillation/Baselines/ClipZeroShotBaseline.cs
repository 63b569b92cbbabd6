using EdSam.Clip;
using EdSam.Data;
using EdSam.Data.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Distillation.Baselines;

/// <summary>
/// The CLIP zero-shot baseline, measured exactly as <see cref="Vl2vAdipModel.Evaluate"/> measures a distilled student:
/// same resize and centre crop, same text classifier T_c (<see cref="TextClassifier"/>), logits = exp(logit_scale) ·
/// cos(I(x), T_c). Use it to put the teacher's number next to the student's.
/// </summary>
public static class ClipZeroShotBaseline
{
    /// <summary>Top-1 zero-shot accuracy of <paramref name="teacher"/> on labelled examples, overall and per domain.</summary>
    /// <param name="teacher">The CLIP model (evaluated as it is: put it in eval mode and on its device first).</param>
    /// <param name="tokenizer">The teacher's tokenizer; prompts are tokenized to <see cref="ClipModel.ContextLength"/> tokens, truncating.</param>
    /// <param name="classNames">Class names in label order.</param>
    /// <param name="examples">Labelled examples (for example <c>DomainSplit.Test</c>).</param>
    /// <param name="templates">Prompt templates; <see cref="TextClassifier.PhotoTemplate"/> when null.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <param name="normalization">The teacher's pixel mean/std; <see cref="Normalize.Clip"/> when null.</param>
    /// <returns>The accuracies.</returns>
    /// <exception cref="ClipTokenizerMismatchException">The tokenizer's vocabulary is larger than the teacher's <c>text_cfg.vocab_size</c>.</exception>
    /// <exception cref="ArgumentException">No examples or class names, or an example without a label.</exception>
    public static ClassificationResult Evaluate(ClipModel teacher, ClipTokenizer tokenizer,
        IReadOnlyList<string> classNames, IReadOnlyList<Example> examples, IReadOnlyList<string>? templates = null,
        int batchSize = 64, CancellationToken cancellationToken = default, Normalize? normalization = null)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ClipVocabulary.EnsureFits(tokenizer, teacher);
        return Evaluate(teacher, prompts => tokenizer.Tokenize(prompts, teacher.ContextLength, truncate: true),
            classNames, examples, templates, batchSize, cancellationToken, normalization);
    }

    /// <summary>Top-1 zero-shot accuracy of <paramref name="teacher"/> on labelled examples, overall and per domain.</summary>
    /// <param name="teacher">The CLIP model (evaluated as it is: put it in eval mode and on its device first).</param>
    /// <param name="tokenize">Prompts → int64 tokens <c>[n, context]</c> (for example <c>p =&gt; tokenizer.Tokenize(p, teacher.ContextLength)</c>).</param>
    /// <param name="classNames">Class names in label order.</param>
    /// <param name="examples">Labelled examples (for example <c>DomainSplit.Test</c>).</param>
    /// <param name="templates">Prompt templates; <see cref="TextClassifier.PhotoTemplate"/> when null.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <param name="normalization">The teacher's pixel mean/std; <see cref="Normalize.Clip"/> when null.</param>
    /// <returns>The accuracies.</returns>
    /// <exception cref="ClipTokenizerMismatchException">The first prompts tokenized hold an id outside the teacher's vocabulary.</exception>
    /// <exception cref="ArgumentException">No examples or class names, or an example without a label.</exception>
    public static ClassificationResult Evaluate(ClipModel teacher, Func<IReadOnlyList<string>, Tensor> tokenize,
        IReadOnlyList<string> classNames, IReadOnlyList<Example> examples, IReadOnlyList<string>? templates = null,
        int batchSize = 64, CancellationToken cancellationToken = default, Normalize? normalization = null)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(examples);
        normalization ??= Normalize.Clip;
        using var head = TextClassifier.Create(teacher, tokenize, classNames, templates ?? [TextClassifier.PhotoTemplate]);
        var device = teacher.parameters().First().device;
        head.to(device);
        return DistillationData.Accuracy(examples, teacher.ImageSize, batchSize, device, images =>
        {
            using var inference = inference_mode();
            return head.call(teacher.EncodeImage(DistillationData.Normalized(images, normalization)).to(ScalarType.Float32)).argmax(-1);
        }, cancellationToken);
    }
}
