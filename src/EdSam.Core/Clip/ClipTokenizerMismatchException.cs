namespace EdSam.Clip;

/// <summary>
/// A tokenizer does not fit a CLIP model: it produces token ids at or beyond the model's <c>text_cfg.vocab_size</c>, so
/// the model's token embedding table has no row for them. Thrown by <see cref="ClipVocabulary"/> wherever a tokenizer is
/// paired with a model (<see cref="ZeroShotClassifier"/>, the trainers) before any text is encoded.
/// </summary>
/// <remarks>
/// The usual cause is a test or fine-tuned config with a small vocabulary used with OpenAI's BPE (49,408 tokens), or a
/// tokenizer from another model family. <see cref="Exception.Message"/> names both sizes and the config field.
/// </remarks>
public sealed class ClipTokenizerMismatchException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What does not match, naming both vocabulary sizes.</param>
    /// <param name="modelVocabularySize">The model's <c>text_cfg.vocab_size</c>.</param>
    /// <param name="largestTokenId">The largest token id the tokenizer produces (or produced).</param>
    public ClipTokenizerMismatchException(string message, int modelVocabularySize, long largestTokenId)
        : base(message)
    {
        ModelVocabularySize = modelVocabularySize;
        LargestTokenId = largestTokenId;
    }

    /// <summary>The model's vocabulary size (<c>text_cfg.vocab_size</c>): valid ids are <c>[0, ModelVocabularySize)</c>.</summary>
    public int ModelVocabularySize { get; }

    /// <summary>The largest token id the tokenizer produces, or the largest one found in its output.</summary>
    public long LargestTokenId { get; }
}
