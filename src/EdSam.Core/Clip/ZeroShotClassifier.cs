using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Clip;

/// <summary>
/// CLIP zero-shot classification: each class is embedded as the normalised mean of the normalised text embeddings
/// of its prompts ("a photo of a {}.", …); an image's logits are
/// <c>logit_scale.exp() · normalise(EncodeImage(image)) @ classEmbeddingsᵀ</c> — the procedure of the CLIP paper.
/// </summary>
/// <remarks>
/// The class embeddings are computed once, in the constructor, under <c>torch.inference_mode()</c>. Tensor inputs are
/// model inputs (normalised pixels, see <see cref="ImagePreprocessor"/>); path inputs are decoded and preprocessed
/// with <see cref="Preprocessor"/>. Dispose the classifier to free the class embeddings (the model is not disposed).
/// </remarks>
public sealed class ZeroShotClassifier : IDisposable
{
    /// <summary>
    /// The default prompt templates: a subset of the 80 templates OpenAI used for ImageNet (the 7 they list as the best
    /// ensemble in their prompt-engineering notebook, plus the plain "a photo of a {}.").
    /// </summary>
    public static IReadOnlyList<string> DefaultTemplates { get; } =
    [
        "a photo of a {}.",
        "itap of a {}.",
        "a bad photo of the {}.",
        "a origami {}.",
        "a photo of the large {}.",
        "a {} in a video game.",
        "art of the {}.",
        "a photo of the small {}.",
    ];

    private readonly ClipModel _model;
    private readonly Tensor _classEmbeddings;

    /// <summary>Builds the classifier with a CLIP tokenizer.</summary>
    /// <param name="model">The CLIP model (not disposed by the classifier).</param>
    /// <param name="tokenizer">The model's tokenizer; prompts are tokenized to <see cref="ClipModel.ContextLength"/> tokens, truncating.</param>
    /// <param name="classNames">The class names, in label order (index i of a prediction is <c>classNames[i]</c>).</param>
    /// <param name="templates">Prompt templates with a <c>{}</c> or <c>{class}</c> placeholder; <see cref="DefaultTemplates"/> when null.</param>
    /// <param name="preprocessor">Preprocessing for the path overloads; CLIP's at the model's image size when null.</param>
    /// <exception cref="ClipTokenizerMismatchException">The tokenizer's vocabulary is larger than the model's <c>text_cfg.vocab_size</c>.</exception>
    /// <exception cref="ArgumentException">No class names, a blank class name, no templates, or a template without a placeholder.</exception>
    public ZeroShotClassifier(ClipModel model, ClipTokenizer tokenizer, IEnumerable<string> classNames,
        IEnumerable<string>? templates = null, ImagePreprocessor? preprocessor = null)
        : this(model, TokenizeWith(tokenizer, model), classNames, templates, preprocessor)
    {
    }

    /// <summary>Builds the classifier with any tokenization function (for tokenizers other than <see cref="ClipTokenizer"/>).</summary>
    /// <param name="model">The CLIP model (not disposed by the classifier).</param>
    /// <param name="tokenize">Turns prompts into the int64 token tensor <c>[prompts, context]</c> <see cref="ClipModel.EncodeText"/> takes.</param>
    /// <param name="classNames">The class names, in label order.</param>
    /// <param name="templates">Prompt templates with a <c>{}</c> or <c>{class}</c> placeholder; <see cref="DefaultTemplates"/> when null.</param>
    /// <param name="preprocessor">Preprocessing for the path overloads; CLIP's at the model's image size when null.</param>
    /// <exception cref="ClipTokenizerMismatchException">The first prompts tokenized hold an id outside the model's vocabulary (a tokenizer that does not match the model).</exception>
    /// <exception cref="ArgumentException">No class names, a blank class name, no templates, or a template without a placeholder.</exception>
    public ZeroShotClassifier(ClipModel model, Func<IReadOnlyList<string>, Tensor> tokenize, IEnumerable<string> classNames,
        IEnumerable<string>? templates = null, ImagePreprocessor? preprocessor = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenize);
        ArgumentNullException.ThrowIfNull(classNames);
        string[] names = classNames.ToArray();
        string[] prompts = (templates ?? DefaultTemplates).ToArray();
        ValidateClassesAndTemplates(names, prompts);
        ClassNames = names;
        Templates = prompts;

        _model = model;
        Preprocessor = preprocessor ?? new ImagePreprocessor(ImagePreprocessorOptions.Clip(model.ImageSize));
        _classEmbeddings = EmbedClasses(tokenize);
    }

    /// <summary>The class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The prompt templates used.</summary>
    public IReadOnlyList<string> Templates { get; }

    /// <summary>Preprocessing applied by the path overloads.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>L2-normalised class embeddings <c>[classes, EmbedDim]</c>, float32 on the model's device. Owned by the classifier.</summary>
    public Tensor ClassEmbeddings => _classEmbeddings;

    /// <summary>Fills a template with a class name: <c>{}</c> and <c>{class}</c> are replaced.</summary>
    /// <param name="template">The template, for example <c>"a photo of a {}."</c>.</param>
    /// <param name="className">The class name.</param>
    /// <returns>The prompt.</returns>
    public static string Prompt(string template, string className)
        => template.Replace("{class}", className, StringComparison.Ordinal).Replace("{}", className, StringComparison.Ordinal);

    /// <summary>Scaled cosine similarities between images and classes.</summary>
    /// <param name="images">Normalised model input <c>[N, 3, ImageSize, ImageSize]</c>.</param>
    /// <returns>Float32 logits <c>[N, classes]</c> (<c>exp(logit_scale)</c> × cosine, so ×100 for OpenAI models).</returns>
    public Tensor Logits(Tensor images)
    {
        using var inference = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        Tensor features = _model.EmbedImages(images, normalize: true).to(ScalarType.Float32, _classEmbeddings.device);
        Tensor logits = features.matmul(_classEmbeddings.t()).mul(_model.LogitScale);
        return scope.MoveToOuter(logits);
    }

    /// <summary>Class probabilities: the softmax of <see cref="Logits(Tensor)"/> over classes.</summary>
    /// <param name="images">Normalised model input <c>[N, 3, ImageSize, ImageSize]</c>.</param>
    /// <returns>Float32 <c>[N, classes]</c>; each row sums to 1.</returns>
    public Tensor PredictProba(Tensor images)
    {
        using var inference = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        return scope.MoveToOuter(Logits(images).softmax(-1));
    }

    /// <summary>The most likely class of each image: the argmax of <see cref="Logits(Tensor)"/>.</summary>
    /// <param name="images">Normalised model input <c>[N, 3, ImageSize, ImageSize]</c>.</param>
    /// <returns>Int64 class indices <c>[N]</c> into <see cref="ClassNames"/>.</returns>
    public Tensor Predict(Tensor images)
    {
        using var inference = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        return scope.MoveToOuter(Logits(images).argmax(-1));
    }

    /// <summary>Decodes, preprocesses and classifies image files.</summary>
    /// <param name="paths">Image file paths.</param>
    /// <returns>Float32 probabilities <c>[N, classes]</c>.</returns>
    /// <exception cref="EdSam.Imaging.ImageDecodeException">A file is not a readable image.</exception>
    public Tensor PredictProba(IEnumerable<string> paths)
    {
        using var scope = torch.NewDisposeScope();
        return scope.MoveToOuter(PredictProba(Preprocessor.Preprocess(paths)));
    }

    /// <summary>Decodes, preprocesses and classifies image files.</summary>
    /// <param name="paths">Image file paths.</param>
    /// <returns>The predicted class name of each file, in order.</returns>
    /// <exception cref="EdSam.Imaging.ImageDecodeException">A file is not a readable image.</exception>
    public IReadOnlyList<string> Predict(IEnumerable<string> paths)
    {
        using var scope = torch.NewDisposeScope();
        Tensor indices = Predict(Preprocessor.Preprocess(paths));
        return indices.data<long>().ToArray().Select(i => ClassNames[(int)i]).ToArray();
    }

    /// <summary>Zero-shot top-1 accuracy on labelled examples, overall and per domain. Each batch is decoded and
    /// preprocessed on <paramref name="workers"/> threads, then classified.</summary>
    /// <param name="examples">Labelled examples (labels index <see cref="ClassNames"/>).</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="workers">Threads that decode and preprocess (more help with large files; on a busy CPU they compete
    /// with torch's own threads).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The accuracies.</returns>
    /// <exception cref="ArgumentException">No examples, or an example without a label (named by key).</exception>
    /// <exception cref="EdSam.Imaging.ImageDecodeException">An image does not decode.</exception>
    public Data.ClassificationResult Evaluate(IReadOnlyList<Data.Example> examples, int batchSize = 64, int workers = 1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (examples.Count == 0) throw new ArgumentException("Evaluation needs at least one example.", nameof(examples));
        if (examples.FirstOrDefault(e => e.Label is null) is { } unlabelled)
            throw new ArgumentException($"Example '{unlabelled.Key}' has no label; accuracy needs labelled examples.", nameof(examples));
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        var predicted = new long[examples.Count];
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            int count = Math.Min(batchSize, examples.Count - start);
            int first = start;
            var images = Data.ParallelRows.Stack(count, i =>
            {
                using var raw = examples[first + i].Image.Load();
                return Preprocessor.Preprocess(raw);
            }, workers);
            Predict(images).data<long>().ToArray().CopyTo(predicted, start);
        }
        return Data.ClassificationResult.Score(examples, predicted);
    }

    /// <inheritdoc />
    public void Dispose() => _classEmbeddings.Dispose();

    private Tensor EmbedClasses(Func<IReadOnlyList<string>, Tensor> tokenize)
    {
        Tensor embeddings;
        using (torch.inference_mode())
        using (var scope = torch.NewDisposeScope())
        {
            var perClass = new List<Tensor>(ClassNames.Count);
            foreach (string className in ClassNames)
            {
                // One class at a time: 1,000 classes × 80 templates never need to be in memory together.
                using var classScope = torch.NewDisposeScope();
                string[] prompts = Templates.Select(t => Prompt(t, className)).ToArray();
                Tensor tokens = tokenize(prompts);
                // Checked once: a tokenization function that does not match the model fails on its first output.
                if (perClass.Count == 0) ClipVocabulary.EnsureTokensFit(tokens, _model);
                Tensor promptEmbeddings = _model.EmbedTexts(tokens, normalize: true).to(ScalarType.Float32);
                Tensor classEmbedding = nn.functional.normalize(promptEmbeddings.mean([0]), dim: 0);
                perClass.Add(classScope.MoveToOuter(classEmbedding));
            }
            embeddings = scope.MoveToOuter(torch.stack(perClass));
        }
        // Cloned outside inference mode so the embeddings can also serve as fixed targets in training code.
        using (embeddings) return embeddings.clone();
    }

    private static Func<IReadOnlyList<string>, Tensor> TokenizeWith(ClipTokenizer tokenizer, ClipModel model)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(model);
        ClipVocabulary.EnsureFits(tokenizer, model);
        return prompts => tokenizer.Tokenize(prompts, model.ContextLength, truncate: true);
    }

    private static void ValidateClassesAndTemplates(string[] classNames, string[] templates)
    {
        if (classNames.Length == 0) throw new ArgumentException("At least one class name is required.", nameof(classNames));
        int blank = Array.FindIndex(classNames, string.IsNullOrWhiteSpace);
        if (blank >= 0) throw new ArgumentException($"Class name {blank} is empty.", nameof(classNames));
        if (templates.Length == 0) throw new ArgumentException("At least one prompt template is required.", nameof(templates));
        foreach (string? template in templates)
        {
            if (template is null || !(template.Contains("{}", StringComparison.Ordinal) || template.Contains("{class}", StringComparison.Ordinal)))
                throw new ArgumentException($"Prompt template '{template}' has no '{{}}' or '{{class}}' placeholder for the class name.", nameof(templates));
        }
    }
}
