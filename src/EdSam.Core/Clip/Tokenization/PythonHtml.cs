using System.Text;

namespace EdSam.Clip.Tokenization;

/// <summary>
/// HTML character-reference decoding with the exact behaviour of Python's <c>html.unescape</c>, which the
/// reference CLIP cleaner applies twice. <see cref="System.Net.WebUtility.HtmlDecode(string)"/> is not used
/// because it knows only the HTML 4 names, needs the ";" and maps numeric references differently.
/// </summary>
/// <remarks>
/// The rules (HTML5 "consume a character reference", as Python implements them):
/// <list type="bullet">
/// <item><c>&amp;#123;</c> / <c>&amp;#x7B;</c>, ";" optional: code points 0x80–0x9F are read as Windows-1252,
/// 0 → U+FFFD, surrogates and values above U+10FFFF → U+FFFD, other control characters and
/// noncharacters → removed.</item>
/// <item><c>&amp;name;</c>: a known name (some legacy names such as <c>&amp;amp</c> also without ";"),
/// otherwise the longest known prefix of at least two characters, otherwise left as it is.</item>
/// </list>
/// </remarks>
internal static partial class PythonHtml
{
    private const int LongestReferenceName = 32;

    private static readonly Lazy<Dictionary<string, string>> Named = new(
        () => NamedCharacterReferences.ToDictionary(e => e.Name, e => e.Text, StringComparer.Ordinal));

    /// <summary>Decodes every character reference in <paramref name="text"/> once, like <c>html.unescape</c>.</summary>
    public static string Unescape(string text)
    {
        int ampersand = text.IndexOf('&');
        if (ampersand < 0) return text;

        var result = new StringBuilder(text.Length);
        result.Append(text, 0, ampersand);
        int i = ampersand;
        while (i < text.Length)
        {
            if (text[i] != '&')
            {
                int next = text.IndexOf('&', i);
                if (next < 0) next = text.Length;
                result.Append(text, i, next - i);
                i = next;
                continue;
            }

            int consumed = TryDecodeReference(text, i + 1, result);
            if (consumed == 0)
            {
                result.Append('&');
                i++;
            }
            else
            {
                i += 1 + consumed;
            }
        }
        return result.ToString();
    }

    /// <summary>
    /// Decodes the reference starting after the '&amp;' at <paramref name="start"/>; appends its replacement and
    /// returns the number of characters it spans (0 when the text there is not a reference at all).
    /// </summary>
    private static int TryDecodeReference(string text, int start, StringBuilder result)
    {
        if (start >= text.Length) return 0;
        return text[start] == '#' ? TryDecodeNumeric(text, start, result) : TryDecodeNamed(text, start, result);
    }

    private static int TryDecodeNumeric(string text, int start, StringBuilder result)
    {
        int i = start + 1;
        bool hex = i < text.Length && (text[i] == 'x' || text[i] == 'X');
        if (hex) i++;
        int digitsStart = i;
        while (i < text.Length && (hex ? char.IsAsciiHexDigit(text[i]) : char.IsAsciiDigit(text[i]))) i++;
        if (i == digitsStart) return 0;

        // Any value above U+10FFFF behaves the same, so saturate instead of overflowing on long digit runs.
        long value = 0;
        foreach (char digit in text.AsSpan(digitsStart, i - digitsStart))
        {
            value = value * (hex ? 16 : 10) + (char.IsAsciiDigit(digit) ? digit - '0' : (digit | 0x20) - 'a' + 10);
            if (value > 0x10FFFF) value = 0x110000;
        }
        if (i < text.Length && text[i] == ';') i++;

        result.Append(NumericReplacement((int)value));
        return i - start;
    }

    private static string NumericReplacement(int codePoint)
    {
        if (codePoint == 0) return "\uFFFD";
        if (codePoint == 0x0D) return "\r";
        if (codePoint is >= 0x80 and <= 0x9F) return Windows1252C1[codePoint - 0x80].ToString();
        if (codePoint is >= 0xD800 and <= 0xDFFF || codePoint > 0x10FFFF) return "\uFFFD";
        if (IsInvalidCodePoint(codePoint)) return string.Empty;
        return char.ConvertFromUtf32(codePoint);
    }

    /// <summary>Control characters and noncharacters a reference may not produce (Python's <c>_invalid_codepoints</c>).</summary>
    private static bool IsInvalidCodePoint(int codePoint) =>
        codePoint is >= 0x01 and <= 0x08 or 0x0B or >= 0x0E and <= 0x1F or >= 0x7F and <= 0x9F or >= 0xFDD0 and <= 0xFDEF
        || (codePoint & 0xFFFE) == 0xFFFE;

    /// <summary>What 0x80–0x9F mean in Windows-1252; the five undefined slots stay as the C1 control itself.</summary>
    internal const string Windows1252C1 =
        "\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F" +
        "\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178";

    private static int TryDecodeNamed(string text, int start, StringBuilder result)
    {
        // A candidate name is up to 32 characters that are not tab, LF, FF, space, '<', '&', '#' or ';',
        // optionally followed by ';'.
        int i = start;
        while (i < text.Length && i - start < LongestReferenceName && !EndsName(text[i])) i++;
        if (i == start) return 0;
        if (i < text.Length && text[i] == ';') i++;

        string candidate = text[start..i];
        Dictionary<string, string> named = Named.Value;
        if (named.TryGetValue(candidate, out string? replacement))
        {
            result.Append(replacement);
            return candidate.Length;
        }

        // Longest known prefix (of at least two characters); the rest is kept as text.
        for (int length = candidate.Length - 1; length > 1; length--)
        {
            if (named.TryGetValue(candidate[..length], out replacement))
            {
                result.Append(replacement).Append(candidate, length, candidate.Length - length);
                return candidate.Length;
            }
        }
        return 0;
    }

    /// <summary>Looks up an HTML5 entity name as written after the '&amp;' (e.g. "amp;" or the legacy "amp").</summary>
    public static bool TryGetNamedReference(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? text) =>
        Named.Value.TryGetValue(name, out text);

    private static bool EndsName(char c) => c is '\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';';
}
