using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Clip;

/// <summary>
/// A CLIP model (ViT or ModifiedResNet image tower, causal transformer text tower) whose module and parameter
/// names equal the OpenAI/OpenCLIP state-dict keys (<c>visual.*</c>, <c>transformer.*</c>, <c>token_embedding</c>,
/// <c>positional_embedding</c>, <c>ln_final</c>, <c>text_projection</c>, <c>logit_scale</c>).
/// </summary>
/// <remarks>
/// <para><c>forward(images, tokens)</c> returns <c>logit_scale.exp() · normalise(images) @ normalise(texts)ᵀ</c> and its
/// transpose. <see cref="EncodeImage"/> and <see cref="EncodeText"/> stay differentiable (ED-SAM fine-tunes CLIP);
/// for pure inference use <see cref="EmbedImages"/>/<see cref="EmbedTexts"/>, which run under
/// <c>torch.inference_mode()</c>.</para>
/// <para>For bf16 inference call <c>model.to(ScalarType.BFloat16)</c> (or load with
/// <see cref="ClipPrecision.Bf16"/>): inputs are cast to the model's dtype and device automatically.</para>
/// </remarks>
public sealed partial class ClipModel : Module<Tensor, Tensor, (Tensor logitsPerImage, Tensor logitsPerText)>
{
    private readonly Module<Tensor, Tensor> visual;
    private readonly ClipTransformer transformer;
    private readonly TokenEmbedding token_embedding;
    private readonly Parameter positional_embedding;
    private readonly LayerNorm ln_final;
    private readonly Parameter text_projection;
    private readonly Parameter logit_scale;

    /// <summary>Builds a randomly initialised CLIP (open_clip's initialisation) in training mode, fp32, on the CPU.</summary>
    /// <param name="config">The architecture; validated here.</param>
    /// <exception cref="ClipConfigException">The config is impossible; the message names every wrong field.</exception>
    public ClipModel(ClipConfig config) : base(nameof(ClipModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;

        visual = config.Vision.Architecture == ClipVisionArchitecture.ModifiedResNet
            ? new ModifiedResNet(config.Vision, config.EmbedDim)
            : new VisionTransformer(config.Vision, config.EmbedDim, config.QuickGelu);

        var text = config.Text;
        transformer = new ClipTransformer(text.Width, text.Layers, text.Heads, text.MlpRatio, config.QuickGelu, causal: true);
        token_embedding = new TokenEmbedding(text.VocabSize, text.Width);
        positional_embedding = ClipInit.Normal(0.01, text.ContextLength, text.Width);
        ln_final = LayerNorm(text.Width);
        text_projection = ClipInit.Normal(Math.Pow(text.Width, -0.5), text.Width, config.EmbedDim);
        logit_scale = Parameter(tensor(Math.Log(1 / 0.07), float32));
        RegisterComponents();
    }

    /// <summary>The architecture this model was built from.</summary>
    public ClipConfig Config { get; }

    /// <summary>Dimension of the joint embedding space (<c>embed_dim</c>).</summary>
    public int EmbedDim => Config.EmbedDim;

    /// <summary>Side of the square input image in pixels.</summary>
    public int ImageSize => Config.Vision.ImageSize;

    /// <summary>Maximum tokens per caption (SOT and EOT included).</summary>
    public int ContextLength => Config.Text.ContextLength;

    /// <summary>
    /// Loads a model from a config JSON and a <c>.safetensors</c> checkpoint with OpenAI/OpenCLIP or
    /// Hugging Face <c>CLIPModel</c> keys, fp32 on the CPU, in eval mode.
    /// </summary>
    /// <param name="configJsonPath">open_clip model config (<c>embed_dim</c>, <c>vision_cfg</c>, <c>text_cfg</c>) or a Hugging Face <c>CLIPModel</c> <c>config.json</c> (see <see cref="ClipConfig.Load"/>).</param>
    /// <param name="weightsPath">The <c>.safetensors</c> file (<c>.pt</c>/<c>.bin</c> are refused with a conversion hint).</param>
    /// <exception cref="ClipConfigException">The config is malformed.</exception>
    /// <exception cref="EdSam.IO.StateDictMismatchException">Keys are missing, unexpected or mis-shaped (all are listed).</exception>
    public static ClipModel FromPretrained(string configJsonPath, string weightsPath) =>
        FromPretrained(ClipConfig.Load(configJsonPath), weightsPath);

    /// <summary>
    /// Loads a model for <paramref name="config"/> from a <c>.safetensors</c> checkpoint, converting Hugging Face
    /// keys, fixing known quirks and resizing positional embeddings as needed (see <see cref="ClipCheckpointLoader"/>),
    /// then moves it to <see cref="ClipLoadOptions.Device"/> and <see cref="ClipLoadOptions.Precision"/>. The model is
    /// returned in eval mode (BatchNorm uses its running statistics).
    /// </summary>
    /// <param name="config">The architecture.</param>
    /// <param name="weightsPath">The <c>.safetensors</c> checkpoint, or a sharded checkpoint's <c>model.safetensors.index.json</c> (shards beside it).</param>
    /// <param name="options">Device, precision and loading switches; null for fp32 on the CPU.</param>
    /// <exception cref="EdSam.IO.StateDictMismatchException">Keys are missing, unexpected or mis-shaped (all are listed, with the config compared with).</exception>
    /// <exception cref="FileNotFoundException">The weights file (or a shard) does not exist.</exception>
    /// <exception cref="EdSam.IO.SafeTensorsFormatException">The file is not valid safetensors, or is a pickle checkpoint
    /// (<c>.pt</c>, <c>.bin</c>: refused, the message says how to convert it).</exception>
    /// <remarks>To load a folder or hub repository, call <c>FromPretrained(string repoIdOrDirectory, ClipPretrainedOptions?)</c>;
    /// note that <c>FromPretrained("folder", null)</c> binds to the (config JSON, weights) overload — pass no second
    /// argument, or a typed <c>(ClipPretrainedOptions?)null</c>.</remarks>
    public static ClipModel FromPretrained(ClipConfig config, string weightsPath, ClipLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(weightsPath);
        options ??= new ClipLoadOptions();
        ClipModel model;
        using (ClipInit.SkipRandomInit()) model = new ClipModel(config); // every value comes from the checkpoint
        try
        {
            ClipCheckpointLoader.Load(model, weightsPath, options);
            model.eval();
            if (options.Device is { } device) model.to(device);
            if (options.Precision == ClipPrecision.Bf16) model.to(ScalarType.BFloat16);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Encodes images (differentiable).</summary>
    /// <param name="images">Normalised pixels <c>[N, 3, ImageSize, ImageSize]</c> (see <c>ImagePreprocessor</c>); cast to the model's dtype/device.</param>
    /// <returns>Image embeddings <c>[N, EmbedDim]</c>, not L2-normalised, in the model's dtype.</returns>
    /// <exception cref="ArgumentException">The shape is not <c>[N, 3, ImageSize, ImageSize]</c> or the dtype is not floating point.</exception>
    public Tensor EncodeImage(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Dimensions != 4 || images.shape[1] != 3 || images.shape[2] != ImageSize || images.shape[3] != ImageSize)
            throw new ArgumentException(
                $"Images must have shape [N, 3, {ImageSize}, {ImageSize}] (this model's image size); got [{string.Join(", ", images.shape)}]. " +
                "Resize with ImagePreprocessor, or load the checkpoint with a config of the wanted image size to interpolate the positional embedding.",
                nameof(images));
        if (!images.is_floating_point())
            throw new ArgumentException($"Images must be normalised floating-point pixels; got dtype {images.dtype}.", nameof(images));

        using var scope = NewDisposeScope();
        var input = MatchModel(images);
        return scope.MoveToOuter(visual.call(input));
    }

    /// <summary>Encodes token ids (differentiable).</summary>
    /// <param name="tokens">Token ids <c>[N, L]</c>, int64 (int32 is accepted), <c>L ≤ ContextLength</c>, with SOT first and the
    /// EOT token (the largest id in the vocabulary) at the pooling position, as <c>ClipTokenizer.Tokenize</c> makes them.</param>
    /// <returns>Text embeddings <c>[N, EmbedDim]</c> taken at each row's EOT (argmax) position, not L2-normalised.</returns>
    /// <exception cref="ArgumentException">The shape or dtype is wrong, or an id is outside <c>[0, vocab_size)</c> (the message names
    /// the model's <c>text_cfg.vocab_size</c>; the usual cause is a tokenizer that does not match the model).</exception>
    public Tensor EncodeText(Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Dimensions != 2 || tokens.shape[1] < 1 || tokens.shape[1] > ContextLength)
            throw new ArgumentException($"Tokens must have shape [N, L] with 1 ≤ L ≤ {ContextLength}; got [{string.Join(", ", tokens.shape)}].", nameof(tokens));
        if (tokens.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException($"Tokens must be int64 (or int32) ids; got dtype {tokens.dtype}.", nameof(tokens));

        using var scope = NewDisposeScope();
        var device = positional_embedding.device;
        var ids = tokens.to(ScalarType.Int64, device);
        if (ids.numel() > 0)
        {
            long min = ids.min().item<long>(), max = ids.max().item<long>();
            // The last line of defence: ClipVocabulary checks tokenizers where they are paired with a model.
            if (ClipVocabulary.Describe(min, max, Config.Text.VocabSize) is not null)
                throw new ArgumentException(
                    $"Token ids must lie in [0, {Config.Text.VocabSize}) for this model (text_cfg.vocab_size {Config.Text.VocabSize}); got ids from {min} to {max}. " +
                    "Ids at or above vocab_size usually mean the tokenizer does not match the model (ClipVocabulary.EnsureFits checks a tokenizer before use).",
                    nameof(tokens));
        }

        long n = ids.shape[0], length = ids.shape[1];
        var x = token_embedding.Lookup(ids).add_(positional_embedding.narrow(0, 0, length));
        x = transformer.call(x);

        // LayerNorm acts per token, so normalising only the pooled (EOT) rows equals OpenAI's ln_final-then-gather.
        var rows = arange(n, device: device).mul_(length).add_(ids.argmax(-1));
        var pooled = ClipOps.LayerNorm(x.view(n * length, -1).index_select(0, rows), ln_final);
        return scope.MoveToOuter(ClipOps.MatMul(pooled, text_projection));
    }

    /// <summary>Contrastive logits for every image–caption pair.</summary>
    /// <param name="images">Normalised pixels <c>[N, 3, ImageSize, ImageSize]</c>.</param>
    /// <param name="tokens">Token ids <c>[M, L]</c>.</param>
    /// <returns><c>logitsPerImage</c> <c>[N, M]</c> = <c>exp(logit_scale)</c> × cosine similarity, and <c>logitsPerText</c> = its transpose <c>[M, N]</c>.</returns>
    public override (Tensor logitsPerImage, Tensor logitsPerText) forward(Tensor images, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var imageFeatures = EncodeImage(images);
        var textFeatures = EncodeText(tokens);
        imageFeatures = imageFeatures.div(imageFeatures.norm(-1, keepdim: true));
        textFeatures = textFeatures.div(textFeatures.norm(-1, keepdim: true));
        var logitsPerImage = imageFeatures.matmul(textFeatures.t()).mul_(logit_scale.exp());
        var logitsPerText = logitsPerImage.t();
        scope.MoveToOuter(logitsPerImage, logitsPerText);
        return (logitsPerImage, logitsPerText);
    }

    /// <summary>
    /// Inference convenience: <see cref="EncodeImage"/> under <c>torch.inference_mode()</c> (no autograd bookkeeping),
    /// optionally L2-normalised. The result is an inference tensor: do not feed it into a computation you will
    /// back-propagate through.
    /// </summary>
    /// <param name="images">Normalised pixels <c>[N, 3, ImageSize, ImageSize]</c>.</param>
    /// <param name="normalize">True to return unit-length rows (ready for cosine similarity).</param>
    /// <returns><c>[N, EmbedDim]</c>.</returns>
    public Tensor EmbedImages(Tensor images, bool normalize = true)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var features = EncodeImage(images);
        return scope.MoveToOuter(normalize ? functional.normalize(features, dim: -1) : features);
    }

    /// <summary>Inference convenience: <see cref="EncodeText"/> under <c>torch.inference_mode()</c>, optionally L2-normalised (see <see cref="EmbedImages"/>).</summary>
    /// <param name="tokens">Token ids <c>[N, L]</c>.</param>
    /// <param name="normalize">True to return unit-length rows.</param>
    /// <returns><c>[N, EmbedDim]</c>.</returns>
    public Tensor EmbedTexts(Tensor tokens, bool normalize = true)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var features = EncodeText(tokens);
        return scope.MoveToOuter(normalize ? functional.normalize(features, dim: -1) : features);
    }

    /// <summary>The exponentiated temperature, <c>exp(logit_scale)</c> (100 for the published OpenAI models).</summary>
    public double LogitScale
    {
        get
        {
            using var _ = no_grad();
            using var scale = logit_scale.exp();
            using var wide = scale.to(ScalarType.Float64);
            return wide.item<double>();
        }
    }

    private Tensor MatchModel(Tensor images)
    {
        var reference = positional_embedding;
        return images.dtype == reference.dtype && images.device == reference.device
            ? images
            : images.to(reference.dtype, reference.device);
    }
}
