using static TorchSharp.torch;

namespace EdSam.Clip;

/// <summary>
/// Checks that a tokenizer fits a CLIP model's text tower before any text is encoded, with a message that names both
/// vocabularies — instead of an out-of-range id deep inside <see cref="ClipModel.EncodeText"/>.
/// </summary>
/// <remarks>
/// A tokenizer fits when every id it can produce is below the model's <c>text_cfg.vocab_size</c>. A smaller tokenizer
/// vocabulary is accepted (its ids all have embedding rows; some models pad their table). Context length needs no check:
/// <see cref="ClipTokenizer.Tokenize(IEnumerable{string}, int, bool)"/> is always called with
/// <see cref="ClipModel.ContextLength"/>, and <see cref="ClipModel.EncodeText"/> names the limit for wider tensors.
/// </remarks>
public static class ClipVocabulary
{
    /// <summary>Throws when <paramref name="tokenizer"/> can produce ids that <paramref name="model"/> has no embedding for.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="model">The model it will feed.</param>
    /// <param name="tokenizerSource">Where the tokenizer came from (a file path), named in the message; optional.</param>
    /// <param name="modelName">What the user calls the model (an id, a path), named in the message; optional.</param>
    /// <exception cref="ClipTokenizerMismatchException">The tokenizer's vocabulary is larger than the model's <c>vocab_size</c>.</exception>
    public static void EnsureFits(ClipTokenizer tokenizer, ClipModel model, string? tokenizerSource = null, string? modelName = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(model);
        EnsureFits(tokenizer, model.Config, tokenizerSource, modelName);
    }

    /// <summary>Throws when <paramref name="tokenizer"/> can produce ids that a model built from <paramref name="config"/> has no embedding for.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="config">The model's config.</param>
    /// <param name="tokenizerSource">Where the tokenizer came from (a file path), named in the message; optional.</param>
    /// <param name="modelName">What the user calls the model (an id, a path), named in the message; optional.</param>
    /// <exception cref="ClipTokenizerMismatchException">The tokenizer's vocabulary is larger than the config's <c>vocab_size</c>.</exception>
    public static void EnsureFits(ClipTokenizer tokenizer, ClipConfig config, string? tokenizerSource = null, string? modelName = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(config);
        int vocabSize = config.Text.VocabSize;
        if (tokenizer.VocabularySize <= vocabSize) return;
        // The end-of-text token is the largest id and ends every tokenized text, so any use would fail.
        long largest = tokenizer.VocabularySize - 1;
        throw new ClipTokenizerMismatchException(
            $"The tokenizer ({tokenizerSource ?? "given"}, {tokenizer.VocabularySize} tokens) does not match the model{Named(modelName)}: " +
            $"it produces token ids up to {largest}, but the model's text tower has vocab_size {vocabSize} (text_cfg.vocab_size). " +
            "Use the tokenizer the model was trained with, or a config whose vocab_size covers it.",
            vocabSize, largest);
    }

    /// <summary>
    /// Throws when a token tensor made by some tokenization function holds ids outside <paramref name="model"/>'s
    /// vocabulary — the check for tokenizers that are not a <see cref="ClipTokenizer"/>, run once on their first output.
    /// </summary>
    /// <param name="tokens">Token ids <c>[N, L]</c> (any integer dtype, any device).</param>
    /// <param name="model">The model they will feed.</param>
    /// <param name="modelName">What the user calls the model, named in the message; optional.</param>
    /// <exception cref="ClipTokenizerMismatchException">An id is negative or at least the model's <c>vocab_size</c>.</exception>
    public static void EnsureTokensFit(Tensor tokens, ClipModel model, string? modelName = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(model);
        if (tokens.numel() == 0) return;
        long min = Int64Item(tokens.min()), max = Int64Item(tokens.max());
        string? problem = Describe(min, max, model.Config.Text.VocabSize);
        if (problem is not null)
            throw new ClipTokenizerMismatchException($"The tokenizer does not match the model{Named(modelName)}: {problem}", model.Config.Text.VocabSize, max);
    }

    /// <summary>What is wrong with ids in <c>[min, max]</c> for a model of <paramref name="vocabSize"/> tokens, or null when they fit.</summary>
    internal static string? Describe(long min, long max, int vocabSize)
    {
        if (min < 0)
            return $"it produced token id {min}; token ids cannot be negative.";
        if (max >= vocabSize)
            return $"it produced token id {max}, but the model's text tower has vocab_size {vocabSize} (text_cfg.vocab_size), so valid ids are [0, {vocabSize}). " +
                "Use the tokenizer the model was trained with, or a config whose vocab_size covers it.";
        return null;
    }

    private static long Int64Item(Tensor scalar)
    {
        using (scalar)
        using (var asLong = scalar.to(ScalarType.Int64))
            return asLong.item<long>();
    }

    private static string Named(string? modelName) => modelName is null ? "" : $" '{modelName}'";
}
