using System.Text;
using EdSam.Clip.Tokenization;
using Microsoft.ML.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Clip;

/// <summary>
/// The CLIP text tokenizer: byte-level BPE with "&lt;/w&gt;" word ends, producing the same ids as OpenAI's
/// <c>SimpleTokenizer</c> (and open_clip / Hugging Face <c>CLIPTokenizer</c>) for the 49,408-token vocabulary.
/// </summary>
/// <remarks>
/// <para>Pipeline: clean (ftfy's text repairs except mojibake detection, ending in Unicode NFC; HTML unescape
/// twice as Python's <c>html.unescape</c>; whitespace runs → one space; lower-case) → split into words (special
/// tokens, contractions, letter runs, single digits, other symbol runs) → bytes as GPT-2's byte characters, the
/// last one marked "&lt;/w&gt;" → BPE merges by rank. See <c>docs/decisions/tokenizer.md</c>.</para>
/// <para>The BPE itself is <c>Microsoft.ML.Tokenizers</c>' <see cref="BpeTokenizer"/>, which keeps a thread-safe
/// cache of merged words.</para>
/// <para>Instances are immutable and safe to share between threads.</para>
/// </remarks>
public sealed class ClipTokenizer
{
    /// <summary>The context length of every released CLIP text tower.</summary>
    public const int DefaultContextLength = 77;

    /// <summary>The start-of-text special token, placed first in every <see cref="Tokenize(IEnumerable{string}, int, bool)"/> row.</summary>
    public const string StartOfTextToken = ClipBpeFiles.StartOfText;

    /// <summary>The end-of-text special token, placed after the text; CLIP pools text features at its position.</summary>
    public const string EndOfTextToken = ClipBpeFiles.EndOfText;

    private readonly BpeTokenizer _bpe;
    private readonly string?[] _tokenById;

    private ClipTokenizer(ClipBpeModel model)
    {
        StartOfTextId = model.Vocabulary[StartOfTextToken];
        EndOfTextId = model.Vocabulary[EndOfTextToken];
        var specialTokens = new Dictionary<string, int>
        {
            [StartOfTextToken] = StartOfTextId,
            [EndOfTextToken] = EndOfTextId,
        };

        _bpe = BpeTokenizer.Create(new BpeOptions(model.Vocabulary)
        {
            Merges = model.Merges,
            ByteLevel = true,
            EndOfWordSuffix = ClipBpeFiles.EndOfWord,
            SpecialTokens = specialTokens,
            PreTokenizer = new ClipPreTokenizer(specialTokens.Keys),
            Normalizer = ClipNormalizer.Instance,
        });

        _tokenById = new string?[model.Vocabulary.Values.Max() + 1];
        foreach ((string token, int id) in model.Vocabulary) _tokenById[id] = token;
        VocabularySize = model.Vocabulary.Count;
    }

    /// <summary>Id of <see cref="StartOfTextToken"/> (49406 in the OpenAI vocabulary).</summary>
    public int StartOfTextId { get; }

    /// <summary>Id of <see cref="EndOfTextToken"/> (49407 in the OpenAI vocabulary, the largest id).</summary>
    public int EndOfTextId { get; }

    /// <summary>Number of tokens in the vocabulary (49,408 for CLIP).</summary>
    public int VocabularySize { get; }

    /// <summary>Loads OpenAI's <c>bpe_simple_vocab_16e6.txt.gz</c> (as shipped with CLIP and open_clip).</summary>
    /// <param name="bpeGzPath">Path of the gzip-compressed merges file (an unpacked <c>.txt</c> copy is accepted too).</param>
    /// <returns>A tokenizer with the reference 49,408-token vocabulary.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist (the message names the path).</exception>
    /// <exception cref="FormatException">The file is not UTF-8 text (plain or gzip), has too few merges, or a merge
    /// line is not two known symbols (the message names the line).</exception>
    public static ClipTokenizer FromBpeFile(string bpeGzPath) => new(ClipBpeFiles.ReadOpenAi(bpeGzPath));

    /// <summary>Loads Hugging Face's <c>vocab.json</c> and <c>merges.txt</c> (e.g. from <c>openai/clip-vit-base-patch32</c>).</summary>
    /// <param name="vocabJson">Path of <c>vocab.json</c>: a JSON object mapping byte-level token strings to ids.</param>
    /// <param name="mergesTxt">Path of <c>merges.txt</c>: an optional "#version" line, then "left right" per line.</param>
    /// <returns>A tokenizer over that vocabulary.</returns>
    /// <exception cref="FileNotFoundException">A file does not exist (the message names the path).</exception>
    /// <exception cref="FormatException">The JSON is not a token → id object, lacks the special tokens, or a merges
    /// line is malformed or refers to tokens missing from the vocabulary (the message names the line).</exception>
    public static ClipTokenizer FromVocabAndMerges(string vocabJson, string mergesTxt) =>
        new(ClipBpeFiles.ReadHuggingFace(vocabJson, mergesTxt));

    /// <summary>
    /// The text exactly as the tokenizer sees it after cleaning: ftfy-style repairs (curly quotes, ligatures,
    /// full-width forms, control characters, HTML entities, NFC), HTML unescape twice, whitespace collapsed, lower-case.
    /// </summary>
    /// <param name="text">Raw text.</param>
    /// <returns>The cleaned text.</returns>
    public static string CleanText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ClipTextCleaner.Clean(text);
    }

    /// <summary>Encodes one text into BPE token ids, without start/end of text tokens and without truncation.</summary>
    /// <param name="text">Raw text; it is cleaned first (see <see cref="CleanText"/>).</param>
    /// <returns>The token ids (empty for empty or whitespace-only text).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _bpe.EncodeToIds(text);
    }

    /// <summary>
    /// Turns token ids back into text like the reference <c>decode</c>: tokens are joined, read as UTF-8 bytes
    /// (invalid sequences become U+FFFD) and every "&lt;/w&gt;" becomes a space, so words end with a space.
    /// Special tokens and padding ids are decoded like any other id.
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <returns>The decoded text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        Span<byte> utf8 = stackalloc byte[4];
        foreach (int id in ids)
        {
            string token = (uint)id < (uint)_tokenById.Length ? _tokenById[id] ?? throw UnknownId(id) : throw UnknownId(id);
            foreach (char c in token)
            {
                if (ByteLevelAlphabet.TryGetByte(c, out byte value))
                {
                    bytes.Add(value);
                }
                else
                {
                    // Only a hand-edited vocabulary has such characters; keep them readable rather than failing.
                    int written = Encoding.UTF8.GetBytes([c], utf8);
                    for (int k = 0; k < written; k++) bytes.Add(utf8[k]);
                }
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray()).Replace(ClipBpeFiles.EndOfWord, " ", StringComparison.Ordinal);
    }

    /// <summary>
    /// Tokenizes texts into the <c>[N, contextLength]</c> int64 tensor CLIP's text tower takes: each row is
    /// <see cref="StartOfTextId"/>, the text's ids, <see cref="EndOfTextId"/>, then zeros.
    /// </summary>
    /// <param name="texts">The texts (N of them, N may be 0).</param>
    /// <param name="contextLength">Row length; at least 2. CLIP checkpoints use 77.</param>
    /// <param name="truncate">When a text is too long: true keeps its first <c>contextLength − 2</c> ids and still ends the
    /// row with the end-of-text id (the reference behaviour); false throws.</param>
    /// <returns>A CPU tensor of dtype int64 and shape <c>[N, contextLength]</c>; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="texts"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="contextLength"/> is less than 2.</exception>
    /// <exception cref="ArgumentException">A text is null, or is too long while <paramref name="truncate"/> is false
    /// (the message names the text, its token count and the context length).</exception>
    public Tensor Tokenize(IEnumerable<string> texts, int contextLength = DefaultContextLength, bool truncate = true)
    {
        ArgumentNullException.ThrowIfNull(texts);
        IReadOnlyList<string> list = texts as IReadOnlyList<string> ?? texts.ToList();
        long[] rows = TokenizeToIds(list, contextLength, truncate);
        return torch.tensor(rows, [list.Count, contextLength], dtype: ScalarType.Int64);
    }

    /// <summary>Tokenizes one text into a <c>[1, contextLength]</c> int64 tensor; see <see cref="Tokenize(IEnumerable{string}, int, bool)"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="contextLength">Row length; at least 2.</param>
    /// <param name="truncate">Truncate a too-long text (true) or throw (false).</param>
    /// <returns>A CPU int64 tensor of shape <c>[1, contextLength]</c>.</returns>
    public Tensor Tokenize(string text, int contextLength = DefaultContextLength, bool truncate = true) =>
        Tokenize([text], contextLength, truncate);

    /// <summary>The rows of <see cref="Tokenize(IEnumerable{string}, int, bool)"/>, flattened row-major.</summary>
    internal long[] TokenizeToIds(IReadOnlyList<string> texts, int contextLength, bool truncate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 2, nameof(contextLength));
        var rows = new long[checked(texts.Count * contextLength)];
        for (int index = 0; index < texts.Count; index++)
        {
            string text = texts[index] ?? throw new ArgumentException($"texts[{index}] is null.", nameof(texts));
            IReadOnlyList<int> ids = Encode(text);
            int tokenCount = ids.Count + 2;
            if (tokenCount > contextLength && !truncate)
            {
                throw new ArgumentException(
                    $"texts[{index}] \"{ClipBpeFiles.Shorten(text)}\" is {tokenCount} tokens with its start and end of text tokens, " +
                    $"more than the context length {contextLength}. Shorten it, or pass truncate: true to cut it.", nameof(texts));
            }

            // Reference: [SOT] + ids + [EOT], cut to the context length with the last kept token set to EOT.
            Span<long> row = rows.AsSpan(index * contextLength, contextLength);
            int kept = Math.Min(ids.Count, contextLength - 2);
            row[0] = StartOfTextId;
            for (int k = 0; k < kept; k++) row[1 + k] = ids[k];
            row[1 + kept] = EndOfTextId;
        }
        return rows;
    }

    private static ArgumentOutOfRangeException UnknownId(int id) =>
        new("ids", id, $"Token id {id} is not in the CLIP vocabulary.");
}
