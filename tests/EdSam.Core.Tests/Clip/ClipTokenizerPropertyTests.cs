using EdSam.Clip;
using FsCheck;
using FsCheck.Fluent;

namespace EdSam.Tests.Clip;

/// <summary>Invariants of <see cref="ClipTokenizer"/> checked on generated inputs.</summary>
public class ClipTokenizerPropertyTests
{
    private static readonly Config Checks = Config.QuickThrowOnFailure.WithMaxTest(100);

    /// <summary>Any text: ASCII, punctuation, whitespace, accents, CJK, emoji, astral letters, entities.</summary>
    private static readonly Gen<string> AnyText =
        Gen.Elements(
                "a", "Z", "q", "7", " ", "  ", "\t", "\n", ".", "!", "'", "'s", "&amp;", "&#39;", "&", ";", "-", "/",
                "é", "ß", "Σ", "İ", "猫", "の", "🐱", "\U00020000", "\U0001D7CF", "\u0301", "\u00A0", "photo", "CAT")
            .ListOf()
            .Select(parts => string.Concat(parts));

    [SkippableFact]
    public void Tokenize_rows_start_with_sot_hold_one_eot_at_the_argmax_and_are_zero_padded_to_the_context()
    {
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;
        var inputs = Gen.Zip(AnyText.ListOf().Select(texts => texts.ToArray()), Gen.Choose(2, 80));

        Prop.ForAll(inputs.ToArbitrary(), input =>
        {
            (string[] texts, int context) = input;
            using var batch = tokenizer.Tokenize(texts, context);
            long[] flat = ClipTokenizerReference.Read(batch);
            batch.shape.Should().Equal(texts.Length, context);

            for (int r = 0; r < texts.Length; r++)
            {
                long[] row = flat.AsSpan(r * context, context).ToArray();
                int eot = Array.IndexOf(row, (long)tokenizer.EndOfTextId);
                IReadOnlyList<int> ids = tokenizer.Encode(texts[r]);
                string because = $"row {r} of {texts.Length} (context {context}) is [{string.Join(", ", row)}]";

                row[0].Should().Be(tokenizer.StartOfTextId, because);
                row.Count(v => v == tokenizer.EndOfTextId).Should().Be(1, because);
                Array.IndexOf(row, row.Max()).Should().Be(eot, because);
                eot.Should().Be(1 + Math.Min(ids.Count, context - 2), because);
                row.Skip(eot + 1).Where(v => v != 0).Should().BeEmpty(because);
                row.Skip(1).Take(eot - 1).Should().Equal(ids.Take(context - 2).Select(i => (long)i), because);
            }
            return true;
        }).Check(Checks);
    }

    [SkippableFact]
    public void Decode_of_encode_is_the_cleaned_words_each_followed_by_a_space_for_ascii_words()
    {
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;
        Gen<string> word = Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".ToCharArray())
            .ArrayOf().Where(letters => letters.Length is > 0 and <= 12).Select(letters => new string(letters));
        Gen<string> gap = Gen.Elements(" ", "  ", "\t", "\n", " \r\n ");
        var sentences = Gen.Zip(Gen.Zip(word.NonEmptyListOf(), gap.ListOf()), Gen.Elements("", " ", "\n"),
            (wordsAndGaps, edge) => (Words: wordsAndGaps.Item1, Gaps: wordsAndGaps.Item2, Edge: edge));

        Prop.ForAll(sentences.ToArbitrary(), sentence =>
        {
            (IList<string> words, IList<string> gaps, string edge) = sentence;
            string text = edge + string.Concat(words.Select((w, i) => w + (gaps.Count > 0 ? gaps[i % gaps.Count] : " "))) + edge;
            string expected = string.Concat(words.Select(w => w.ToLowerInvariant() + " "));

            return tokenizer.Decode(tokenizer.Encode(text)) == expected;
        }).Check(Checks);
    }

    [SkippableFact]
    public void Encode_never_throws_and_only_returns_ids_that_decode()
    {
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;

        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text =>
        {
            if (text is null) return true;
            IReadOnlyList<int> ids = tokenizer.Encode(text);
            _ = tokenizer.Decode(ids);
            return ids.All(id => id >= 0 && id < tokenizer.VocabularySize);
        }).Check(Checks);
    }
}
