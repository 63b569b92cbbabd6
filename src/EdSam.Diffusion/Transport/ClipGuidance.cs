using EdSam.Clip;
using EdSam.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>
/// What the guided mode of <see cref="TransportTransformation"/> (an EdSam extension, not in the paper) maximises: the
/// CLIP contrastive loss (symmetric InfoNCE, <see cref="ClipContrastiveLoss"/>) between decoded samples and their own
/// captions. The CLIP model is frozen: gradients are taken with respect to the shift α only, never accumulated into
/// the model's parameters.
/// </summary>
public sealed class ClipGuidance
{
    private readonly Func<IReadOnlyList<string>, Tensor> _tokenize;

    /// <summary>Creates the guidance.</summary>
    /// <param name="model">The CLIP model whose loss is maximised (not modified, not disposed).</param>
    /// <param name="tokenize">Turns captions into the int64 [N, context] tokens <see cref="ClipModel.EncodeText"/> takes
    /// (for example <c>texts =&gt; tokenizer.Tokenize(texts, model.ContextLength)</c>).</param>
    public ClipGuidance(ClipModel model, Func<IReadOnlyList<string>, Tensor> tokenize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenize);
        Model = model;
        _tokenize = tokenize;
    }

    /// <summary>Creates the guidance with a CLIP tokenizer (captions truncated to the model's context length).</summary>
    /// <param name="model">The CLIP model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <exception cref="ClipTokenizerMismatchException">The tokenizer's vocabulary is larger than the model's <c>text_cfg.vocab_size</c>.</exception>
    public ClipGuidance(ClipModel model, ClipTokenizer tokenizer)
        : this(model, TokenizeWith(model, tokenizer))
    {
    }

    /// <summary>The frozen CLIP model.</summary>
    public ClipModel Model { get; }

    /// <summary>
    /// The guidance objective for N·M decoded samples (row i·M + m is sample m of source image i): the sum over the M
    /// replicas of the symmetric InfoNCE loss between replica m's N images and the N captions. Differentiable with
    /// respect to <paramref name="images"/>.
    /// </summary>
    /// <param name="images">float [N·M, 3, H, W] pixels in [0, 1]; resized (bilinear) and CLIP-normalised here.</param>
    /// <param name="captions">The N source captions.</param>
    /// <param name="samplesPerImage">M.</param>
    /// <returns>A scalar loss (natural-log units) owned by the caller. With N = 1 it is always 0: InfoNCE needs at least two captions to contrast.</returns>
    public Tensor Loss(Tensor images, IReadOnlyList<string> captions, int samplesPerImage)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(captions);
        if (images.dim() != 4 || images.shape[0] != (long)captions.Count * samplesPerImage)
            throw new ArgumentException($"Expected {captions.Count}·{samplesPerImage} images [N·M, 3, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));

        using var scope = NewDisposeScope();
        Tensor text;
        using (no_grad())
        {
            var tokens = _tokenize(captions);
            text = Model.EncodeText(tokens).detach();
        }
        var features = Model.EncodeImage(ToClipInput(images, Model.ImageSize));
        int n = captions.Count;
        var perReplica = features.view(n, samplesPerImage, -1);
        var logitScale = tensor(Math.Log(Model.LogitScale), dtype: features.dtype, device: features.device);
        Tensor total = zeros(1, dtype: features.dtype, device: features.device).squeeze();
        for (int m = 0; m < samplesPerImage; m++)
            total = total + ClipContrastiveLoss.Compute(perReplica.select(1, m), text.to(features.dtype), logitScale);
        return scope.MoveToOuter(total);
    }

    /// <summary>Differentiable CLIP preprocessing of [N, 3, H, W] pixels in [0, 1]: bilinear resize to the model's size
    /// (no antialiasing, so gradients stay local) and per-channel CLIP normalisation.</summary>
    internal static Tensor ToClipInput(Tensor images, int imageSize)
    {
        using var scope = NewDisposeScope();
        var x = images.to(ScalarType.Float32);
        if (x.shape[2] != imageSize || x.shape[3] != imageSize)
            x = nn.functional.interpolate(x, size: [imageSize, imageSize], mode: InterpolationMode.Bilinear, align_corners: false);
        var mean = tensor(ImagePreprocessorOptions.ClipMean.ToArray(), device: x.device).view(1, 3, 1, 1);
        var std = tensor(ImagePreprocessorOptions.ClipStd.ToArray(), device: x.device).view(1, 3, 1, 1);
        return scope.MoveToOuter((x - mean) / std);
    }

    internal static Func<IReadOnlyList<string>, Tensor> TokenizeWith(ClipModel model, ClipTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ClipVocabulary.EnsureFits(tokenizer, model); // before training, not at the first caption's EncodeText
        return texts => tokenizer.Tokenize(texts, model.ContextLength);
    }
}
