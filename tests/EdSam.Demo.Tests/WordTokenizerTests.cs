using EdSam.Demo.Tests.TestSupport;

namespace EdSam.Demo.Tests;

public class WordTokenizerTests
{
    // Sorted ordinally the words are a, an, ankle, boot, of → ids 2..6; start-of-text 7, end-of-text 8; 9 ids in all.
    private static WordTokenizer Tokenizer(int contextLength = 8) => new(["boot", "of", "ankle", "a", "an", "boot"], contextLength);

    private static long[] Row(WordTokenizer tokenizer, string text)
    {
        using var ids = tokenizer.Tokenize([text]);
        ids.shape.Should().Equal(1, tokenizer.ContextLength);
        return ids.data<long>().ToArray();
    }

    [Fact]
    public void Ids_are_padding_0_unknown_1_words_in_order_then_start_and_end_of_text_largest()
    {
        var tokenizer = Tokenizer();

        tokenizer.VocabSize.Should().Be(9);
        tokenizer.Words.Should().Equal("a", "an", "ankle", "boot", "of");
        Row(tokenizer, "boot of a").Should().Equal(7, 5, 6, 2, 8, 0, 0, 0);
        Row(tokenizer, "hat of a").Should().Equal(7, 1, 6, 2, 8, 0, 0, 0);
        Row(tokenizer, "").Should().Equal(7, 8, 0, 0, 0, 0, 0, 0);
    }

    [Fact]
    public void End_of_text_is_the_argmax_of_every_row_where_clip_pools()
    {
        var tokenizer = Tokenizer();
        string[] texts = ["a boot", "ankle of boot of a", "zzz", ""];
        using var ids = tokenizer.Tokenize(texts);
        using var argmax = ids.argmax(1);

        argmax.data<long>().ToArray().Should().Equal(3, 6, 2, 1);
        ids.max().item<long>().Should().Be(tokenizer.VocabSize - 1);
    }

    [Fact]
    public void Lower_cases_and_splits_on_punctuation()
    {
        WordTokenizer.Split("A T-shirt, an 'Ankle' boot!").Should().Equal("a", "t", "shirt", "an", "ankle", "boot");
        Row(Tokenizer(), "A Boot.").Should().Equal(7, 2, 5, 8, 0, 0, 0, 0);
    }

    [Fact]
    public void A_before_a_vowel_reads_an_as_in_the_captions()
    {
        var tokenizer = Tokenizer();

        Row(tokenizer, "a ankle boot").Should().Equal(Row(tokenizer, "an ankle boot"));
        Row(tokenizer, "a ankle boot").Should().Equal(7, 3, 4, 5, 8, 0, 0, 0);
        Row(tokenizer, "a boot").Should().Equal(7, 2, 5, 8, 0, 0, 0, 0);
    }

    [Fact]
    public void Truncation_keeps_end_of_text_in_the_last_slot()
    {
        var tokenizer = Tokenizer(contextLength: 4);

        Row(tokenizer, "a boot of boot of").Should().Equal(7, 2, 5, 8);
        Row(tokenizer, "a boot").Should().Equal(7, 2, 5, 8);
        Row(tokenizer, "boot").Should().Equal(7, 5, 8, 0);
    }

    [Fact]
    public void Saved_vocabulary_loads_to_the_same_ids()
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "words.txt");
        var tokenizer = Tokenizer();

        tokenizer.Save(path);
        var loaded = WordTokenizer.Load(path, 8);

        File.ReadAllLines(path).Should().Equal("a", "an", "ankle", "boot", "of");
        Row(loaded, "a ankle boot of hat").Should().Equal(Row(tokenizer, "a ankle boot of hat"));
        loaded.VocabSize.Should().Be(9);
    }
}
