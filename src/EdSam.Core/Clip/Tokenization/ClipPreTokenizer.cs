using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace EdSam.Clip.Tokenization;

/// <summary>
/// Splits cleaned text into the words BPE runs on, exactly like the reference pattern
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// (case-insensitive): the special tokens, English contractions, runs of letters, single digits, and runs of
/// anything else except whitespace.
/// </summary>
/// <remarks>
/// Written as a scanner over Unicode scalar values rather than a .NET <see cref="System.Text.RegularExpressions.Regex"/>
/// because .NET regular expressions classify UTF-16 code units: a letter or digit outside the Basic
/// Multilingual Plane (CJK Extension B, mathematical digits) would be seen as two surrogates and split
/// differently from Python's <c>regex</c> module, giving different ids.
/// </remarks>
internal sealed class ClipPreTokenizer : PreTokenizer
{
    private static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    private readonly string[] _specialTokens;

    /// <summary>Creates the pre-tokenizer; <paramref name="specialTokens"/> are matched first, case-insensitively.</summary>
    public ClipPreTokenizer(IEnumerable<string> specialTokens) => _specialTokens = specialTokens.ToArray();

    /// <inheritdoc />
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
        string.IsNullOrEmpty(text) ? [] : Split(text.AsSpan());

    /// <inheritdoc />
    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) =>
        text.IsEmpty ? [] : Split(text);

    /// <summary>The (offset, length) of each word of <paramref name="text"/>, in order.</summary>
    public List<(int Offset, int Length)> Split(ReadOnlySpan<char> text)
    {
        var words = new List<(int Offset, int Length)>();
        int i = 0;
        while (i < text.Length)
        {
            int length = MatchAt(text, i);
            if (length > 0)
            {
                words.Add((i, length));
                i += length;
            }
            else
            {
                i += ReadRune(text, i, out _); // whitespace separates words and is dropped
            }
        }
        return words;
    }

    /// <summary>Length of the word starting at <paramref name="start"/>, or 0 where it is whitespace.</summary>
    private int MatchAt(ReadOnlySpan<char> text, int start)
    {
        ReadOnlySpan<char> rest = text[start..];
        foreach (string special in _specialTokens)
            if (StartsWithIgnoreCase(rest, special)) return special.Length;
        if (rest[0] == '\'')
            foreach (string contraction in Contractions)
                if (StartsWithIgnoreCase(rest, contraction)) return contraction.Length;

        int first = ReadRune(text, start, out CharacterClass kind);
        switch (kind)
        {
            case CharacterClass.Whitespace:
                return 0;
            case CharacterClass.Number:
                return first;
            default:
                int end = start + first;
                while (end < text.Length)
                {
                    int next = ReadRune(text, end, out CharacterClass nextKind);
                    if (nextKind != kind) break;
                    end += next;
                }
                return end - start;
        }
    }

    private enum CharacterClass { Whitespace, Letter, Number, Other }

    private static int ReadRune(ReadOnlySpan<char> text, int index, out CharacterClass kind)
    {
        // A lone surrogate decodes as U+FFFD (a symbol), which is the class Python gives it too (Cs is "other").
        Rune.DecodeFromUtf16(text[index..], out Rune rune, out int length);
        kind = Classify(rune);
        return length == 0 ? 1 : length;
    }

    private static CharacterClass Classify(Rune rune)
    {
        if (Rune.IsWhiteSpace(rune)) return CharacterClass.Whitespace;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharacterClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharacterClass.Number,
            _ => CharacterClass.Other,
        };
    }

    /// <summary>
    /// Case-insensitive prefix test for an ASCII pattern with simple case folding, as Python's <c>regex</c> does:
    /// "ſ" (long s, which lower-casing keeps) folds to "s", so "it'ſ" ends in the contraction "'ſ".
    /// </summary>
    private static bool StartsWithIgnoreCase(ReadOnlySpan<char> text, string pattern)
    {
        if (text.Length < pattern.Length) return false;
        for (int k = 0; k < pattern.Length; k++)
        {
            char c = text[k], p = pattern[k];
            if (c == p || char.ToLowerInvariant(c) == p || (p == 's' && c == '\u017F')) continue;
            return false;
        }
        return true;
    }
}
