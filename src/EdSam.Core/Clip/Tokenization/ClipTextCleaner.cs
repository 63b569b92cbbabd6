using System.Globalization;
using System.Text;

namespace EdSam.Clip.Tokenization;

/// <summary>
/// The reference CLIP text cleaning, <c>whitespace_clean(basic_clean(text)).lower()</c>: ftfy's repairs
/// (<see cref="TextFixer"/>, ending in NFC), Python <c>html.unescape</c> twice, trim, runs of whitespace → one space,
/// and Python-style lower-casing.
/// </summary>
/// <remarks>
/// Only ftfy's mojibake repair is missing (see <see cref="TextFixer"/> and <c>docs/decisions/tokenizer.md</c>).
/// Whitespace is Unicode White_Space (.NET <see cref="char.IsWhiteSpace(char)"/>), as in Python's <c>regex</c>;
/// the characters only Python's <c>str.strip</c> adds (U+001C–U+001F) are removed by ftfy beforehand.
/// </remarks>
internal static class ClipTextCleaner
{
    private const char CapitalSigma = '\u03A3';

    /// <summary>Cleans <paramref name="text"/> the way the reference tokenizer does before pre-tokenizing.</summary>
    public static string Clean(string text)
    {
        string fixedText = TextFixer.FixText(text);
        string unescaped = PythonHtml.Unescape(PythonHtml.Unescape(fixedText));
        return PythonLower(CollapseWhitespace(unescaped));
    }

    /// <summary>Trims, and replaces each run of Unicode whitespace with a single ASCII space.</summary>
    public static string CollapseWhitespace(string text)
    {
        var result = new StringBuilder(text.Length);
        bool pendingSpace = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = result.Length > 0;
                continue;
            }
            if (pendingSpace) result.Append(' ');
            pendingSpace = false;
            result.Append(c);
        }
        return result.ToString();
    }

    /// <summary>
    /// Lower-cases like Python's <c>str.lower</c>: the simple Unicode mapping, plus the two full mappings it
    /// applies that .NET's does not (U+0130 → "i̇", and a final capital sigma → "ς").
    /// </summary>
    public static string PythonLower(string text)
    {
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out _) != System.Buffers.OperationStatus.Done)
            {
                result.Append(text[i++]); // a lone surrogate has no case; keep it as it is
                continue;
            }
            if (rune.Value == 0x0130) result.Append("i\u0307");
            else if (rune.Value == CapitalSigma) result.Append(IsFinalSigma(text, i) ? '\u03C2' : '\u03C3');
            else result.Append(Rune.ToLowerInvariant(rune).ToString());
            i += rune.Utf16SequenceLength;
        }
        return result.ToString();
    }

    /// <summary>Unicode's Final_Sigma condition: a cased letter before, and none after (skipping case-ignorables).</summary>
    private static bool IsFinalSigma(string text, int index)
    {
        bool casedBefore = false;
        for (int j = index; j > 0;)
        {
            Rune.DecodeLastFromUtf16(text.AsSpan(0, j), out Rune previous, out int length);
            j -= length;
            if (IsCaseIgnorable(previous)) continue;
            casedBefore = IsCased(previous);
            break;
        }
        if (!casedBefore) return false;

        for (int j = index + 1; j < text.Length;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(j), out Rune next, out int length);
            j += length;
            if (IsCaseIgnorable(next)) continue;
            return !IsCased(next);
        }
        return true;
    }

    private static bool IsCased(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    private static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || rune.Value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x05F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027
            or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
