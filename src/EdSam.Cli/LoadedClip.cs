using EdSam.Clip;
using static TorchSharp.torch;

namespace EdSam.Cli;

/// <summary>A CLIP loaded for a command: the model (eval mode), its preprocessing, and its tokenizer on demand
/// (commands that only embed images never need one).</summary>
internal sealed class LoadedClip(ClipModel model, string modelId, ImagePreprocessor preprocessor, Func<ClipTokenizer>? loadTokenizer, string? tokenizerSource) : IDisposable
{
    private ClipTokenizer? tokenizer;

    /// <summary>The model.</summary>
    public ClipModel Model { get; } = model;

    /// <summary>What the user passed as <c>--model</c>, recorded in outputs' metadata.</summary>
    public string ModelId { get; } = modelId;

    /// <summary>The tokenizer file given or found (<c>bpe_simple_vocab_16e6.txt.gz</c> or <c>vocab.json</c>), or null.</summary>
    public string? TokenizerSource { get; } = tokenizerSource;

    /// <summary>Preprocessing for the model's input size.</summary>
    public ImagePreprocessor Preprocessor { get; } = preprocessor;

    /// <summary>The tokenizer, loaded on first use and checked against the model's vocabulary.</summary>
    /// <exception cref="CliInputException">No tokenizer was given or found beside the model.</exception>
    /// <exception cref="ClipTokenizerMismatchException">The tokenizer produces ids beyond the model's <c>vocab_size</c>.</exception>
    public ClipTokenizer Tokenizer => tokenizer ??= LoadTokenizer();

    /// <summary>Tokenizes <paramref name="texts"/> to the model's context length.</summary>
    /// <exception cref="ClipTokenizerMismatchException">The tokenizer does not match the model (see <see cref="Tokenizer"/>).</exception>
    public Tensor Tokenize(IReadOnlyList<string> texts) => Tokenizer.Tokenize(texts, Model.ContextLength);

    private ClipTokenizer LoadTokenizer()
    {
        var loaded = loadTokenizer?.Invoke() ?? throw new CliInputException(
            $"No tokenizer found for '{ModelId}': pass --tokenizer with bpe_simple_vocab_16e6.txt.gz (CLIP models share OpenAI's BPE) or a Hugging Face vocab.json.");
        // Checked once, before any text is encoded: a tokenizer that does not match would index past the embedding table.
        ClipVocabulary.EnsureFits(loaded, Model, TokenizerSource, ModelId);
        return loaded;
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
