using static TorchSharp.torch;

namespace EdSam.Demo;

/// <summary>
/// A word-level tokenizer for the demo's tiny CLIP, built from the captions and prompts it will ever see. The demo
/// uses it so that it runs fully offline without OpenAI's BPE vocabulary file.
/// </summary>
/// <remarks>Ids: 0 = padding, 1 = unknown word, words from 2, then start-of-text and end-of-text as the two largest
/// ids — CLIP pools the text at the argmax token id, so end-of-text must be the largest.</remarks>
internal sealed class WordTokenizer
{
    private readonly Dictionary<string, int> _ids;

    public WordTokenizer(IEnumerable<string> words, int contextLength)
    {
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string word in words.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            _ids[word] = _ids.Count + 2;
        ContextLength = contextLength;
        VocabSize = _ids.Count + 4;
    }

    public int ContextLength { get; }
    public int VocabSize { get; }
    private int StartOfText => VocabSize - 2;
    private int EndOfText => VocabSize - 1;

    public IReadOnlyCollection<string> Words => _ids.Keys;

    public static IEnumerable<string> Split(string text) =>
        text.ToLowerInvariant().Split([' ', '.', ',', '-', '\'', '"', '!', '?'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Captions → int64 [N, ContextLength]; over-long captions are truncated (keeping end-of-text).</summary>
    public Tensor Tokenize(IReadOnlyList<string> texts)
    {
        var ids = new long[texts.Count * ContextLength];
        for (int row = 0; row < texts.Count; row++)
        {
            var tokens = new List<long> { StartOfText };
            var words = Split(texts[row]).ToArray();
            // Prompts are filled in as "a {}": "a ankle boot" must read "an ankle boot", as in the captions.
            for (int i = 0; i + 1 < words.Length; i++)
                if (words[i] == "a" && "aeiou".Contains(words[i + 1][0])) words[i] = "an";
            tokens.AddRange(words.Select(w => (long)(_ids.TryGetValue(w, out int id) ? id : 1)));
            if (tokens.Count > ContextLength - 1) tokens.RemoveRange(ContextLength - 1, tokens.Count - (ContextLength - 1));
            tokens.Add(EndOfText);
            for (int i = 0; i < tokens.Count; i++) ids[row * ContextLength + i] = tokens[i];
        }
        return tensor(ids, [texts.Count, ContextLength]);
    }

    public void Save(string path) => File.WriteAllLines(path, _ids.OrderBy(p => p.Value).Select(p => p.Key));

    public static WordTokenizer Load(string path, int contextLength) => new(File.ReadAllLines(path), contextLength);
}
