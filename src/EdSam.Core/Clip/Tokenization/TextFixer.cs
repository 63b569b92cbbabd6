using System.Text;
using System.Text.RegularExpressions;

namespace EdSam.Clip.Tokenization;

/// <summary>
/// The text repairs of <c>ftfy.fix_text</c> (ftfy 6.3, default settings) that the reference CLIP cleaner runs first,
/// except mojibake detection: HTML entities (only where the line has no '&lt;'), C1 controls read as Windows-1252,
/// Latin ligatures, full/half-width forms, curly quotes, line breaks, lone surrogates, terminal escapes, control
/// characters, then NFC — repeated until the text stops changing, line by line as ftfy does.
/// </summary>
/// <remarks>
/// Not reproduced: <c>fix_encoding</c> (mojibake such as "cafÃ©" → "café", with its <c>restore_byte_a0</c>,
/// <c>replace_lossy_sequences</c> and <c>decode_inconsistent_utf8</c> steps), which is a statistical heuristic;
/// text that is valid Unicode to begin with is not affected by it.
/// </remarks>
internal static partial class TextFixer
{
    // ftfy's HTML_ENTITY_RE: an entity must end with ';' and have at most 24 name characters.
    private static readonly Regex HtmlEntity = new("&#?[0-9A-Za-z]{1,24};", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    // ftfy's ANSI_RE: "ESC [ digits-and-semicolons letter".
    private static readonly Regex TerminalEscape = new(@"\x1B\[(?:\d|;)*[a-zA-Z]", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private static readonly Lazy<Dictionary<string, string>> Uppercase = new(
        () => UppercaseEntities.ToDictionary(e => e.Entity, e => e.Text, StringComparer.Ordinal));

    /// <summary>Latin ligatures and digraphs ftfy splits; ligatures such as 'æ' that are used on purpose are kept.</summary>
    private static readonly Dictionary<char, string> Ligatures = new()
    {
        ['\u0132'] = "IJ", ['\u0133'] = "ij", ['\u0149'] = "\u02BCn",
        ['\u01F1'] = "DZ", ['\u01F2'] = "Dz", ['\u01F3'] = "dz",
        ['\u01C4'] = "D\u017D", ['\u01C5'] = "D\u017E", ['\u01C6'] = "d\u017E",
        ['\u01C7'] = "LJ", ['\u01C8'] = "Lj", ['\u01C9'] = "lj",
        ['\u01CA'] = "NJ", ['\u01CB'] = "Nj", ['\u01CC'] = "nj",
        ['\uFB00'] = "ff", ['\uFB01'] = "fi", ['\uFB02'] = "fl", ['\uFB03'] = "ffi", ['\uFB04'] = "ffl",
        ['\uFB05'] = "\u017Ft", ['\uFB06'] = "st",
    };

    /// <summary>Fixes <paramref name="text"/> like <c>ftfy.fix_text</c> without its mojibake step.</summary>
    public static string FixText(string text)
    {
        if (text.Length == 0) return text;
        var result = new StringBuilder(text.Length);
        bool unescapeHtml = true;
        int position = 0;
        while (position < text.Length)
        {
            int lineEnd = text.IndexOf('\n', position);
            int end = lineEnd < 0 ? text.Length : lineEnd + 1;
            string segment = text[position..end];

            // ftfy's "auto" HTML mode: text that looks like markup keeps its entities, and, as in ftfy, the
            // decision sticks for the rest of the text once a line contains '<'.
            if (unescapeHtml && segment.Contains('<', StringComparison.Ordinal)) unescapeHtml = false;
            result.Append(FixSegment(segment, unescapeHtml));
            position = end;
        }
        return result.ToString();
    }

    private static string FixSegment(string text, bool unescapeHtml)
    {
        while (true)
        {
            string original = text;
            if (unescapeHtml) text = UnescapeHtml(text);
            text = FixC1Controls(text);
            text = Translate(text, FixLigatureOrWidth);
            text = UncurlQuotes(text);
            text = FixLineBreaks(text);
            text = FixSurrogates(text);
            text = TerminalEscape.Replace(text, string.Empty);
            text = RemoveControlCharacters(text);
            text = text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
            if (text == original) return text;
        }
    }

    /// <summary>ftfy's entity decoding: complete "&amp;name;" entities (also some upper-cased) and numeric ones.</summary>
    private static string UnescapeHtml(string text) =>
        !text.Contains('&', StringComparison.Ordinal) ? text : HtmlEntity.Replace(text, match =>
        {
            string entity = match.Value;
            if (PythonHtml.TryGetNamedReference(entity[1..], out string? named)) return named;
            if (Uppercase.Value.TryGetValue(entity, out string? upper)) return upper;
            if (entity.StartsWith("&#", StringComparison.Ordinal))
            {
                // Only a reference that html.unescape consumes whole, ';' included, is decoded.
                string decoded = PythonHtml.Unescape(entity);
                return decoded.Contains(';', StringComparison.Ordinal) ? entity : decoded;
            }
            return entity;
        });

    /// <summary>C1 control characters are read as the Windows-1252 characters browsers show for them.</summary>
    private static string FixC1Controls(string text)
    {
        if (!text.Any(c => c is >= '\u0080' and <= '\u009F')) return text;
        var chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (chars[i] is >= '\u0080' and <= '\u009F') chars[i] = PythonHtml.Windows1252C1[chars[i] - 0x80];
        return new string(chars);
    }

    /// <summary>Replacement for one character from the ligature and width tables, or null to keep it.</summary>
    private static string? FixLigatureOrWidth(char c)
    {
        if (Ligatures.TryGetValue(c, out string? letters)) return letters;
        if (c == '\u3000') return " ";
        if (c is >= '\uFF01' and <= '\uFFEF')
        {
            // Full-width ASCII and half-width CJK forms become their normal-width compatibility equivalent.
            string normal = c.ToString().Normalize(NormalizationForm.FormKC);
            return normal == c.ToString() ? null : normal;
        }
        return null;
    }

    private static string UncurlQuotes(string text) => Translate(text, c => c switch
    {
        '\u02BC' or (>= '\u2018' and <= '\u201B') => "'",
        >= '\u201C' and <= '\u201F' => "\"",
        _ => null,
    });

    private static string FixLineBreaks(string text) => text
        .Replace("\r\n", "\n", StringComparison.Ordinal)
        .Replace('\r', '\n').Replace('\u2028', '\n').Replace('\u2029', '\n').Replace('\u0085', '\n');

    /// <summary>Lone surrogates become U+FFFD (pairs are already whole characters in a .NET string).</summary>
    private static string FixSurrogates(string text)
    {
        if (!text.Any(char.IsSurrogate)) return text;
        var chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) i++;
            else if (char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    /// <summary>
    /// Removes control characters nobody means to keep: C0 controls except tab, line feed, form feed and carriage
    /// return, DEL, the deprecated Arabic format controls U+206A–U+206F, the byte order mark, and U+FFF9–U+FFFC.
    /// </summary>
    private static string RemoveControlCharacters(string text) => Translate(text, c =>
        c is <= '\u0008' or '\u000B' or (>= '\u000E' and <= '\u001F') or '\u007F' or (>= '\u206A' and <= '\u206F')
            or '\uFEFF' or (>= '\uFFF9' and <= '\uFFFC') ? string.Empty : null);

    /// <summary>Replaces each character for which <paramref name="replacement"/> returns non-null.</summary>
    private static string Translate(string text, Func<char, string?> replacement)
    {
        StringBuilder? result = null;
        for (int i = 0; i < text.Length; i++)
        {
            string? replaced = replacement(text[i]);
            if (replaced is null)
            {
                result?.Append(text[i]);
                continue;
            }
            result ??= new StringBuilder(text.Length).Append(text, 0, i);
            result.Append(replaced);
        }
        return result?.ToString() ?? text;
    }
}
