using EdSam.Clip;
using EdSam.Clip.Tokenization;

namespace EdSam.Tests.Clip;

/// <summary>
/// Cleaning and pre-tokenization edge cases beyond the shared fixtures. Expected values come from Python 3.11:
/// <c>html.unescape</c> and <c>str.lower</c> themselves, and cleaned texts and ids from an independent Python
/// re-implementation of OpenAI's <c>simple_tokenizer</c> (the <c>regex</c> module and ftfy 6.3.1's <c>fix_text</c>, as the
/// reference uses) that reproduces every case of <c>tokenizer_cases.json</c>.
/// </summary>
public class ClipTokenizerCleaningTests
{
    /// <summary>Text, its cleaned form, and the reference ids.</summary>
    public static TheoryData<string, string, int[]> EncodeCases => new()
    {
        { "\U00020000a \U0001D7CF2", "\U00020000a \U0001D7CF2", new[] { 172, 254, 222, 222, 320, 6874, 253, 493, 273 } },
        { "\u039F\u0394\u039F\u03A3 \u03A3\u0391\u03A3 \u03A3.", "\u03BF\u03B4\u03BF\u03C2 \u03C3\u03B1\u03C2 \u03C3.", new[] { 138, 123, 138, 112, 138, 123, 139, 480, 139, 225, 138, 109, 139, 480, 139, 481, 269 } },
        { "\u0130stanbul", "i\u0307stanbul", new[] { 328, 16384, 11231 } },
        { "&AMP; &amp &lt&gt &#39;s &#x27;T &notit; &#128; &#0; &#1114112;x", "& & <> 's 't \u00ACit; \u20AC \uFFFD \uFFFDx", new[] { 261, 261, 27, 285, 568, 713, 126, 361, 585, 282, 6309, 39802, 39802, 343 } },
        { "fish &amp;amp; chips &amp;lt;b&amp;gt;", "fish & chips <b>", new[] { 2759, 261, 8855, 283, 321, 285 } },
        { "Don'T 'S 'LL", "don't 's 'll", new[] { 847, 713, 568, 1342 } },
        { "<|ENDOFTEXT|> x<|startoftext|>y ...<|endoftext|>", "<|endoftext|> x<|startoftext|>y ...<|endoftext|>", new[] { 49407, 343, 49406, 344, 3002, 27, 347, 40786, 4160, 91, 285 } },
        { "a\u00A0b\u3000c\u2028d\u200Be", "a b c d\u200Be", new[] { 320, 321, 322, 323, 9844, 324 } },
        { "cafe\u0301 \uFB01ne", "caf\u00E9 fine", new[] { 15304, 3797 } },
        { "it'\u017F", "it'\u017F", new[] { 585, 6, 129, 379 } },
        { "\U0001D518\U0001D52B\U0001D526\U0001D520\U0001D52C\U0001D521\U0001D522 \U0001F3F3\uFE0F\u200D\U0001F308 \u00B2\u00B3 \u216B", "\U0001D518\U0001D52B\U0001D526\U0001D520\U0001D52C\U0001D521\U0001D522 \U0001F3F3\uFE0F\u200D\U0001F308 \u00B2\u00B3 \u217B", new[] { 6874, 242, 246, 6874, 242, 104, 6874, 242, 99, 6874, 242, 254, 6874, 242, 105, 6874, 242, 94, 6874, 242, 351, 32610, 41175, 126, 367, 158, 227, 375 } },
        { "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", new[] { 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 32035, 22819 } },
        { "it\u2019s \u201Cquoted\u201D \u2018x\u2019 \u02BCy", "it's \u0022quoted\u0022 'x' 'y", new[] { 585, 568, 257, 27706, 257, 262, 343, 262, 262, 344 } },
        { "\uFB03 \u0133 \u01C5 \uFF21\uFF22\uFF23\uFF11 \uFF76\uFF9E \uFFE5", "ffi ij d\u017E abc1 \u30AC \u00A5", new[] { 1021, 328, 72, 329, 67, 129, 378, 5334, 272, 3909, 361, 20199 } },
        { "a\u0000b\u001Cc\u007Fd\uFEFFe\u206Af\uFFFCg\u001B[31mred\u001B[0m", "abcdefgred", new[] { 13137, 2044, 689, 323 } },
        { "&NTILDE;&EACUTE; &SZLIG; &amp;amp;amp; &#x2019;s &#150; &#12abc;", "\u00F1\u00E9 ss & 's \u2013 abc;", new[] { 6445, 4166, 632, 261, 568, 1224, 5334, 282 } },
        { "x &amp;amp;amp; y\u000A<b> &amp; </b>\u000Az &amp;amp;amp; w", "x & y <b> & </b> z &amp; w", new[] { 343, 261, 344, 283, 321, 285, 261, 34308, 321, 285, 345, 261, 6259, 282, 342 } },
        { "\u0093quoted\u0094 \u0085 \u0080", "\u0022quoted\u0022 \u2026 \u20AC", new[] { 257, 27706, 257, 959, 6309 } },
        { "\uD800x\uDC00", "\uFFFDx\uFFFD", new[] { 39802, 343, 39802 } },
        { "line\u000D\u000Abreak\u2029end\u0085", "line break end\u2026", new[] { 1148, 2568, 806, 959 } },
    };

    /// <summary>Ids and the reference decoding (invalid UTF-8 becomes U+FFFD, specials and padding decode as text).</summary>
    public static TheoryData<int[], string> DecodeCases => new()
    {
        { new[] { 163, 234 }, "\uFFFD" },
        { new[] { 163 }, "\uFFFD" },
        { new[] { 49406, 320, 49407, 0 }, "<|startoftext|>a <|endoftext|>!" },
        { new[] { 269, 257 }, ". \u0022 " },
    };

    /// <summary>Input and Python's <c>html.unescape</c> of it.</summary>
    public static TheoryData<string, string> UnescapeCases => new()
    {
        { "&amp &ampx &notit; &notin; &#39 &#x27; &#0; &#128; &#xD800; &#1114112; &#99999999999999999999; &#1; &AMP; &Amp; &lt&gt &bogus; &#x; &", "& &x \u00ACit; \u2209 ' ' \uFFFD \u20AC \uFFFD \uFFFD \uFFFD  & &Amp; <> &bogus; &#x; &" },
        { "no entities", "no entities" },
        { "&", "&" },
        { "&&amp;&", "&&&" },
        { "&#65&#66;&#x43&#X44;", "ABCD" },
        { "&#x1F600; &#128512;", "\U0001F600 \U0001F600" },
        { "&#13;&#x9D;&#127;&#xFDD0;&#xFFFE;&#x10FFFF;&#65534x", "\u000D\u009Dx" },
        { "&copy2024 &copy;2024 &COPY &NotNestedLessLess; &nbsp;&nbsp", "\u00A92024 \u00A92024 \u00A9 \u2AA1\u0338 \u00A0\u00A0" },
        { "&aacute&Aacute;&aacutex", "\u00E1\u00C1\u00E1x" },
        { "&;&#;&# 1", "&;&#;&# 1" },
        { "&lt;b&gt;", "<b>" },
        { "&amp;lt;", "&lt;" },
        { "a &\u0009b &\u000Ac &<d", "a &\u0009b &\u000Ac &<d" },
        { "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;", "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;" },
        { "&ThickSpace;", "\u205F\u200A" },
        { "&fjlig;", "fj" },
    };

    /// <summary>Input and Python's <c>str.lower</c> of it.</summary>
    public static TheoryData<string, string> LowerCases => new()
    {
        { "\u039F\u0394\u039F\u03A3", "\u03BF\u03B4\u03BF\u03C2" },
        { "\u039F\u0394\u039F\u03A3.", "\u03BF\u03B4\u03BF\u03C2." },
        { "\u03A3", "\u03C3" },
        { "\u0391\u03A3'\u0391", "\u03B1\u03C3'\u03B1" },
        { "\u0391\u03A3", "\u03B1\u03C2" },
        { "\u03A3 \u0391", "\u03C3 \u03B1" },
        { "\u0130STANBUL", "i\u0307stanbul" },
        { "\u00C0\u00C9\u00CE", "\u00E0\u00E9\u00EE" },
        { "\u01C5", "\u01C6" },
        { "\u0391\u03A3\u0301", "\u03B1\u03C2\u0301" },
        { "\uFF21", "\uFF41" },
        { "\U00010400", "\U00010428" },
        { "\u03A3\u03A3", "\u03C3\u03C2" },
    };

    /// <summary>
    /// Input and the reference cleaning: ftfy decodes entities until stable unless the line holds markup ('&lt;'),
    /// then html.unescape runs twice; NFC comes before that second unescaping; whitespace collapses and trims.
    /// </summary>
    public static TheoryData<string, string> CleanCases => new()
    {
        { "&amp;amp;amp;", "&" },
        { "<b>&amp;amp;amp;", "<b>&amp;" },
        { "e&#x301;", "\u00E9" },
        { "<i>e&#x301;", "<i>e\u0301" },
        { " \u0009 A\u000D\u000A\u00A0 b\u2003\u2003c \u3000", "a b c" },
        { " \u000A\u0009 ", "" },
    };

    [SkippableTheory]
    [MemberData(nameof(EncodeCases))]
    public void Encode_matches_the_reference_on_unicode_entity_and_special_token_edge_cases(string text, string cleaned, int[] ids)
    {
        ClipTokenizer.CleanText(text).Should().Be(cleaned);
        ClipTokenizerReference.Tokenizer.Encode(text).Should().Equal(ids);
    }

    [SkippableTheory]
    [MemberData(nameof(DecodeCases))]
    public void Decode_matches_the_reference_on_partial_utf8_and_special_tokens(int[] ids, string text)
    {
        ClipTokenizerReference.Tokenizer.Decode(ids).Should().Be(text);
    }

    [Theory]
    [MemberData(nameof(UnescapeCases))]
    public void Html_unescape_matches_python(string input, string expected)
    {
        PythonHtml.Unescape(input).Should().Be(expected);
    }

    [Theory]
    [MemberData(nameof(LowerCases))]
    public void Lower_casing_matches_python_including_final_sigma_and_dotted_capital_i(string input, string expected)
    {
        ClipTextCleaner.PythonLower(input).Should().Be(expected);
    }

    [Theory]
    [MemberData(nameof(CleanCases))]
    public void Cleaning_matches_the_reference_order_of_ftfy_html_unescaping_nfc_and_whitespace(string input, string expected)
    {
        ClipTokenizer.CleanText(input).Should().Be(expected);
    }
}
