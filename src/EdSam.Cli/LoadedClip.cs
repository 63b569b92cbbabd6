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

    /// <summary>Preprocessing for the model's input size.</summary>
    public ImagePreprocessor Preprocessor { get; } = preprocessor;

    /// <summary>The tokenizer, loaded on first use.</summary>
    /// <exception cref="CliInputException">No tokenizer was given or found beside the model.</exception>
    public ClipTokenizer Tokenizer => tokenizer ??= loadTokenizer?.Invoke() ?? throw new CliInputException(
        $"No tokenizer found for '{ModelId}': pass --tokenizer with bpe_simple_vocab_16e6.txt.gz (CLIP models share OpenAI's BPE) or a Hugging Face vocab.json.");

    /// <summary>
    /// Tokenizes <paramref name="texts"/> to the model's context length and checks every id fits the model's
    /// embedding table: a tokenizer that does not match the model would otherwise index past it.
    /// </summary>
    /// <exception cref="CliInputException">A token id is at least the model's <c>vocab_size</c>.</exception>
    public Tensor Tokenize(IReadOnlyList<string> texts)
    {
        var tokens = Tokenizer.Tokenize(texts, Model.ContextLength);
        long maxId;
        using (var max = tokens.max()) maxId = max.item<long>();
        int vocabSize = Model.Config.Text.VocabSize;
        if (maxId >= vocabSize)
        {
            tokens.Dispose();
            throw new CliInputException(
                $"The tokenizer ({tokenizerSource ?? "given"}, {Tokenizer.VocabularySize} tokens) does not match the model '{ModelId}': " +
                $"it produced token id {maxId}, but the model's text tower has vocab_size {vocabSize} (text_cfg.vocab_size). " +
                "Use the tokenizer the model was trained with, or a config whose vocab_size covers it.");
        }
        return tokens;
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
