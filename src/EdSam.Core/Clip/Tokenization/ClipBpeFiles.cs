using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace EdSam.Clip.Tokenization;

/// <summary>A byte-level BPE vocabulary: token string → id, and the merges in priority order ("left right").</summary>
internal sealed record ClipBpeModel(IReadOnlyDictionary<string, int> Vocabulary, IReadOnlyList<string> Merges);

/// <summary>Reads the two on-disk forms of the CLIP vocabulary, with errors that name the file and line.</summary>
internal static class ClipBpeFiles
{
    /// <summary>Marks a symbol that ends a word.</summary>
    public const string EndOfWord = "</w>";

    /// <summary>The start-of-text special token.</summary>
    public const string StartOfText = "<|startoftext|>";

    /// <summary>The end-of-text special token.</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>Largest token id accepted from a vocab.json (decoding keeps an array indexed by id).</summary>
    public const int MaxTokenId = (1 << 24) - 1;

    /// <summary>Merges the reference keeps from the OpenAI file: 49,152 − 256 − 2 (vocabulary 49,408 with the specials).</summary>
    public const int OpenAiMergeCount = 49152 - 256 - 2;

    /// <summary>
    /// Reads OpenAI's <c>bpe_simple_vocab_16e6.txt.gz</c>: a version line, then one merge per line. The
    /// vocabulary is built like the reference: the 256 byte characters, the same with "&lt;/w&gt;", each of
    /// the first <see cref="OpenAiMergeCount"/> merges joined, then the two special tokens.
    /// </summary>
    public static ClipBpeModel ReadOpenAi(string path)
    {
        RequireFile(path, nameof(path));
        string content;
        try
        {
            // The reference reads the .gz; an unpacked copy (bpe_simple_vocab_16e6.txt) is accepted as well.
            using Stream file = File.OpenRead(path);
            bool gzipped = file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
            file.Position = 0;
            using Stream text = gzipped ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new StreamReader(text, new UTF8Encoding(false, throwOnInvalidBytes: true));
            content = reader.ReadToEnd();
        }
        catch (Exception e) when (e is InvalidDataException or DecoderFallbackException)
        {
            throw new FormatException($"'{path}' is not a BPE merges file (OpenAI bpe_simple_vocab_16e6.txt.gz, gzip-compressed or plain UTF-8 text): {e.Message}", e);
        }

        string[] lines = content.Split('\n');
        int available = Math.Max(0, lines.Length - 1 - (lines[^1].Length == 0 ? 1 : 0)); // a final newline ends, not adds, a line
        if (available < OpenAiMergeCount)
            throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                $"'{path}' holds {available:N0} merge lines after its version line; the CLIP vocabulary needs {OpenAiMergeCount:N0}."));

        // Each merge may only join symbols that exist by then: bytes, bytes with "</w>", or earlier merges.
        var known = new HashSet<string>(ByteLevelAlphabet.VocabularyOrder.Select(c => c.ToString()), StringComparer.Ordinal);
        known.UnionWith(ByteLevelAlphabet.VocabularyOrder.Select(c => c + EndOfWord));
        var merges = new List<string>(OpenAiMergeCount);
        for (int index = 1; index <= OpenAiMergeCount; index++)
        {
            int lineNumber = index + 1;
            (string left, string right) = ParseMerge(lines[index], path, lineNumber);
            foreach (string part in new[] { left, right })
                if (!known.Contains(part))
                    throw new FormatException($"'{path}' line {lineNumber}: the merge '{lines[index]}' uses '{part}', which is neither a byte symbol nor the result of an earlier merge.");
            known.Add(left + right);
            merges.Add(left + " " + right);
        }

        var tokens = new List<string>(OpenAiMergeCount + 512 + 2);
        tokens.AddRange(ByteLevelAlphabet.VocabularyOrder.Select(c => c.ToString()));
        tokens.AddRange(ByteLevelAlphabet.VocabularyOrder.Select(c => c + EndOfWord));
        tokens.AddRange(merges.Select(m => m.Replace(" ", string.Empty, StringComparison.Ordinal)));
        tokens.Add(StartOfText);
        tokens.Add(EndOfText);

        // Like the reference's dict(zip(vocab, range(len(vocab)))): a repeated token keeps its last id.
        var vocabulary = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (int id = 0; id < tokens.Count; id++) vocabulary[tokens[id]] = id;
        return new ClipBpeModel(vocabulary, merges);
    }

    /// <summary>
    /// Reads Hugging Face's <c>vocab.json</c> (token → id) and <c>merges.txt</c> (optional
    /// "#version" line, then "left right" per line); every merge and its result must be in the vocabulary.
    /// </summary>
    public static ClipBpeModel ReadHuggingFace(string vocabJsonPath, string mergesTxtPath)
    {
        RequireFile(vocabJsonPath, nameof(vocabJsonPath));
        RequireFile(mergesTxtPath, nameof(mergesTxtPath));

        Dictionary<string, int> vocabulary;
        try
        {
            vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabJsonPath))
                ?? throw new FormatException($"'{vocabJsonPath}' holds JSON null; expected an object mapping token strings to ids.");
        }
        catch (JsonException e)
        {
            throw new FormatException($"'{vocabJsonPath}' is not a Hugging Face vocab.json (a JSON object mapping token strings to integer ids): {e.Message}", e);
        }
        foreach (string special in new[] { StartOfText, EndOfText })
            if (!vocabulary.ContainsKey(special))
                throw new FormatException($"'{vocabJsonPath}' has no '{special}' entry; a CLIP vocabulary needs both start and end of text tokens.");
        var tokenById = new Dictionary<int, string>(vocabulary.Count);
        foreach ((string token, int id) in vocabulary)
        {
            if (id is < 0 or > MaxTokenId)
                throw new FormatException($"'{vocabJsonPath}' gives the token '{token}' the id {id}; ids must be between 0 and {MaxTokenId}.");
            if (!tokenById.TryAdd(id, token))
                throw new FormatException($"'{vocabJsonPath}' gives the id {id} to both '{tokenById[id]}' and '{token}'; each id must name one token.");
        }

        string[] lines = File.ReadAllText(mergesTxtPath).Split('\n');
        var merges = new List<string>(lines.Length);
        for (int index = 0; index < lines.Length; index++)
        {
            string line = lines[index].TrimEnd('\r');
            if (line.Length == 0 || (index == 0 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            int lineNumber = index + 1;
            (string left, string right) = ParseMerge(line, mergesTxtPath, lineNumber);
            foreach (string part in new[] { left, right, left + right })
                if (!vocabulary.ContainsKey(part))
                    throw new FormatException($"'{mergesTxtPath}' line {lineNumber}: the merge '{line}' uses '{part}', which is not in '{vocabJsonPath}'.");
            merges.Add(left + " " + right);
        }
        if (merges.Count == 0) throw new FormatException($"'{mergesTxtPath}' holds no merges.");
        return new ClipBpeModel(vocabulary, merges);
    }

    private static (string Left, string Right) ParseMerge(string line, string path, int lineNumber)
    {
        // Python's str.split(): any run of whitespace separates, leading/trailing whitespace is ignored.
        string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2)
            throw new FormatException($"'{path}' line {lineNumber}: expected a merge of two symbols separated by a space, found '{Shorten(line)}'.");
        return (parts[0], parts[1]);
    }

    private static void RequireFile(string path, string parameterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path, parameterName);
        if (!File.Exists(path)) throw new FileNotFoundException($"The CLIP tokenizer file '{path}' does not exist.", path);
    }

    /// <summary>At most 60 characters of <paramref name="text"/>, for messages.</summary>
    internal static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
}
