using System.IO.Compression;
using System.Text;
using System.Text.Json;
using EdSam.Clip;
using EdSam.Tests.TestSupport;
using FluentAssertions.Execution;

namespace EdSam.Tests.Clip;

/// <summary>One case of <c>tokenizer_cases.json</c>, produced by the reference OpenAI tokenizer.</summary>
public sealed record ClipTokenizerCase(string Text, int[] Ids, long[] Context77Truncated, bool FitsContext77, string Decoded);

/// <summary>The shared reference fixtures, loaded once for all tokenizer tests.</summary>
internal static class ClipTokenizerReference
{
    private static readonly Lazy<ClipTokenizer> OpenAi = new(() => ClipTokenizer.FromBpeFile(BpeGzPath));
    private static readonly Lazy<(int Sot, int Eot, int VocabSize, ClipTokenizerCase[] Cases)> Fixture = new(ReadCases);

    public static string BpeGzPath => SharedFixtures.Clip("bpe_simple_vocab_16e6.txt.gz");

    /// <summary>The tokenizer loaded from OpenAI's file (skips the test where the fixtures are absent).</summary>
    public static ClipTokenizer Tokenizer
    {
        get
        {
            _ = BpeGzPath;
            return OpenAi.Value;
        }
    }

    public static (int Sot, int Eot, int VocabSize, ClipTokenizerCase[] Cases) Cases
    {
        get
        {
            _ = SharedFixtures.Clip("tokenizer_cases.json");
            return Fixture.Value;
        }
    }

    private static (int, int, int, ClipTokenizerCase[]) ReadCases()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(SharedFixtures.Clip("tokenizer_cases.json")));
        JsonElement root = json.RootElement;
        ClipTokenizerCase[] cases = root.GetProperty("cases").EnumerateArray().Select(c => new ClipTokenizerCase(
            c.GetProperty("text").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("context77_truncated").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
            c.GetProperty("fits_context77").GetBoolean(),
            c.GetProperty("decoded").GetString()!)).ToArray();
        return (root.GetProperty("sot").GetInt32(), root.GetProperty("eot").GetInt32(), root.GetProperty("vocab_size").GetInt32(), cases);
    }

    /// <summary>
    /// The Hugging Face form of the vocabulary, derived here from the OpenAI file by the documented recipe
    /// (not by the code under test): GPT-2 byte characters, the same with "&lt;/w&gt;", the joined merges, SOT, EOT.
    /// </summary>
    public static (string VocabJson, string MergesTxt) WriteHuggingFaceFiles(string directory)
    {
        string[] lines;
        using (var gzip = new GZipStream(File.OpenRead(BpeGzPath), CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip, Encoding.UTF8))
            lines = reader.ReadToEnd().Split('\n');
        string[] merges = lines[1..(49152 - 256 - 2 + 1)];

        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 12)).Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)).ToList();
        var byteChars = printable.Select(b => (char)b).ToList();
        int shifted = 0;
        for (int b = 0; b < 256; b++)
            if (!printable.Contains(b)) byteChars.Add((char)(256 + shifted++));

        var tokens = byteChars.Select(c => c.ToString())
            .Concat(byteChars.Select(c => c + "</w>"))
            .Concat(merges.Select(m => m.Replace(" ", "")))
            .Append("<|startoftext|>").Append("<|endoftext|>")
            .ToList();
        var vocab = new Dictionary<string, int>();
        for (int id = 0; id < tokens.Count; id++) vocab[tokens[id]] = id;

        string vocabPath = Path.Combine(directory, "vocab.json");
        string mergesPath = Path.Combine(directory, "merges.txt");
        File.WriteAllText(vocabPath, JsonSerializer.Serialize(vocab));
        File.WriteAllText(mergesPath, "#version: 0.2\n" + string.Join("\n", merges) + "\n");
        return (vocabPath, mergesPath);
    }

    /// <summary>The tensor's values; TorchSharp's accessor throws on an empty tensor, so that case is handled here.</summary>
    public static long[] Read(TorchSharp.torch.Tensor tensor) => tensor.numel() == 0 ? [] : tensor.data<long>().ToArray();
}

public class ClipTokenizerTests
{
    [SkippableFact]
    public void The_openai_vocabulary_has_the_reference_size_and_special_ids()
    {
        var (sot, eot, vocabSize, _) = ClipTokenizerReference.Cases;
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;

        tokenizer.StartOfTextId.Should().Be(sot);
        tokenizer.EndOfTextId.Should().Be(eot);
        tokenizer.VocabularySize.Should().Be(vocabSize);
    }

    [SkippableFact]
    public void Encode_gives_the_reference_ids_for_every_fixture_case()
    {
        var (_, _, _, cases) = ClipTokenizerReference.Cases;
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;

        using var scope = new AssertionScope();
        foreach (ClipTokenizerCase c in cases)
            tokenizer.Encode(c.Text).Should().Equal(c.Ids, "the reference encodes {0}", Quote(c.Text));
    }

    [SkippableFact]
    public void Tokenize_gives_the_reference_77_token_rows_truncating_where_needed()
    {
        var (_, _, _, cases) = ClipTokenizerReference.Cases;
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;

        using var batch = tokenizer.Tokenize(cases.Select(c => c.Text));

        batch.shape.Should().Equal(cases.Length, 77);
        batch.dtype.Should().Be(TorchSharp.torch.ScalarType.Int64);
        long[] rows = ClipTokenizerReference.Read(batch);
        using var scope = new AssertionScope();
        for (int i = 0; i < cases.Length; i++)
            rows.Skip(i * 77).Take(77).Should().Equal(cases[i].Context77Truncated, "the reference row of {0}", Quote(cases[i].Text));
    }

    [SkippableFact]
    public void Tokenize_without_truncation_throws_exactly_for_the_texts_that_do_not_fit()
    {
        var (_, _, _, cases) = ClipTokenizerReference.Cases;
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;
        cases.Should().Contain(c => !c.FitsContext77, "the fixtures should exercise the error");

        using var scope = new AssertionScope();
        foreach (ClipTokenizerCase c in cases)
        {
            Action tokenize = () => tokenizer.Tokenize(c.Text, truncate: false).Dispose();
            if (c.FitsContext77)
            {
                tokenize.Should().NotThrow("{0} fits in 77 tokens", Quote(c.Text));
            }
            else
            {
                tokenize.Should().Throw<ArgumentException>()
                    .WithMessage($"*{c.Text[..20]}*{c.Ids.Length + 2} tokens*context length 77*truncate*");
            }
        }
    }

    [SkippableFact]
    public void Decode_gives_the_reference_text_for_every_fixture_case()
    {
        var (_, _, _, cases) = ClipTokenizerReference.Cases;
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;

        using var scope = new AssertionScope();
        foreach (ClipTokenizerCase c in cases)
            tokenizer.Decode(c.Ids).Should().Be(c.Decoded, "the reference decodes the ids of {0}", Quote(c.Text));
    }

    [SkippableFact]
    public void Hugging_face_vocab_and_merges_give_the_same_ids_and_rows_as_the_openai_file()
    {
        var (sot, eot, _, cases) = ClipTokenizerReference.Cases;
        using var directory = new ClipTokenizerTempDirectory();
        var (vocabJson, mergesTxt) = ClipTokenizerReference.WriteHuggingFaceFiles(directory.Path);

        ClipTokenizer tokenizer = ClipTokenizer.FromVocabAndMerges(vocabJson, mergesTxt);

        tokenizer.StartOfTextId.Should().Be(sot);
        tokenizer.EndOfTextId.Should().Be(eot);
        using var scope = new AssertionScope();
        foreach (ClipTokenizerCase c in cases)
        {
            tokenizer.Encode(c.Text).Should().Equal(c.Ids, "the reference encodes {0}", Quote(c.Text));
            tokenizer.Decode(c.Ids).Should().Be(c.Decoded);
        }
        using var batch = tokenizer.Tokenize(cases.Select(c => c.Text));
        ClipTokenizerReference.Read(batch).Should().Equal(cases.SelectMany(c => c.Context77Truncated));
    }

    [SkippableFact]
    public void Tokenize_cuts_to_any_context_length_like_the_reference_and_ends_with_eot()
    {
        var (sot, eot, _, cases) = ClipTokenizerReference.Cases;
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;
        ClipTokenizerCase sentence = cases.First(c => c.Ids.Length == 6);   // "a photo of a cat."

        foreach (int context in new[] { 2, 3, 5, 8, 9 })
        {
            // Reference: ([SOT] + ids + [EOT])[:context], last set to EOT, zero-padded.
            var expected = new[] { (long)sot }.Concat(sentence.Ids.Select(i => (long)i)).Append(eot).Take(context).ToArray();
            expected[^1] = eot;
            expected = expected.Concat(Enumerable.Repeat(0L, context - expected.Length)).ToArray();

            using var row = tokenizer.Tokenize(sentence.Text, context);

            row.shape.Should().Equal(1, context);
            ClipTokenizerReference.Read(row).Should().Equal(expected, "context {0}", context);
        }
    }

    [SkippableFact]
    public void Tokenize_of_no_texts_is_an_empty_batch()
    {
        using var batch = ClipTokenizerReference.Tokenizer.Tokenize(Array.Empty<string>());

        batch.shape.Should().Equal(0, 77);
        batch.dtype.Should().Be(TorchSharp.torch.ScalarType.Int64);
    }

    [SkippableFact]
    public void Tokenizing_from_many_threads_gives_the_same_rows_as_one_thread()
    {
        var (_, _, _, cases) = ClipTokenizerReference.Cases;
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;
        var texts = Enumerable.Range(0, 400).Select(i => cases[i % cases.Length].Text + " number " + (i % 37)).ToArray();
        var expected = texts.Select(t => tokenizer.Encode(t).ToArray()).ToArray();

        var actual = new int[texts.Length][];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => actual[i] = tokenizer.Encode(texts[i]).ToArray());

        for (int i = 0; i < texts.Length; i++) actual[i].Should().Equal(expected[i]);
    }

    [SkippableFact]
    public void A_context_length_below_two_is_refused_by_name()
    {
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;

        Action tokenize = () => tokenizer.Tokenize(["a cat"], contextLength: 1);

        tokenize.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("contextLength");
    }

    [SkippableFact]
    public void Null_texts_are_refused_with_their_index()
    {
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;

        Action tokenize = () => tokenizer.Tokenize(["a cat", null!]);

        tokenize.Should().Throw<ArgumentException>().WithMessage("texts[1] is null*");
        FluentActions.Invoking(() => tokenizer.Encode(null!)).Should().Throw<ArgumentNullException>();
    }

    [SkippableFact]
    public void Decoding_an_id_outside_the_vocabulary_names_the_id()
    {
        ClipTokenizer tokenizer = ClipTokenizerReference.Tokenizer;

        FluentActions.Invoking(() => tokenizer.Decode([320, 49408])).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*49408*");
        FluentActions.Invoking(() => tokenizer.Decode([-1])).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*-1*");
    }

    [Fact]
    public void A_missing_bpe_file_is_reported_with_its_path()
    {
        string path = Path.Combine(Path.GetTempPath(), "edsam-no-such-dir", "bpe_simple_vocab_16e6.txt.gz");

        FluentActions.Invoking(() => ClipTokenizer.FromBpeFile(path))
            .Should().Throw<FileNotFoundException>().WithMessage($"*{path}*");
    }

    [Fact]
    public void Missing_hugging_face_files_are_reported_with_their_paths()
    {
        using var directory = new ClipTokenizerTempDirectory();
        string vocab = Path.Combine(directory.Path, "vocab.json");
        string merges = Path.Combine(directory.Path, "merges.txt");

        FluentActions.Invoking(() => ClipTokenizer.FromVocabAndMerges(vocab, merges))
            .Should().Throw<FileNotFoundException>().WithMessage($"*{vocab}*");
        File.WriteAllText(vocab, "{}");
        FluentActions.Invoking(() => ClipTokenizer.FromVocabAndMerges(vocab, merges))
            .Should().Throw<FileNotFoundException>().WithMessage($"*{merges}*");
    }

    [Fact]
    public void A_file_that_is_neither_gzip_nor_utf8_text_is_a_format_error_naming_it()
    {
        using var directory = new ClipTokenizerTempDirectory();
        string path = Path.Combine(directory.Path, "bpe.txt.gz");
        File.WriteAllBytes(path, [0x1F, 0x8B, 0x08, 0x00, 0xFF, 0xFE, 0x00]);   // a truncated gzip stream: no lines
        FluentActions.Invoking(() => ClipTokenizer.FromBpeFile(path))
            .Should().Throw<FormatException>().WithMessage($"*{path}*0 merge lines*");

        File.WriteAllBytes(path, [0x23, 0xC3, 0x28, 0x0A, 0xFF, 0xFE]);         // invalid UTF-8
        FluentActions.Invoking(() => ClipTokenizer.FromBpeFile(path))
            .Should().Throw<FormatException>().WithMessage($"*{path}*not a BPE merges file*");
    }

    [SkippableFact]
    public void An_unpacked_bpe_text_file_loads_like_the_gzip_file()
    {
        var (_, _, _, cases) = ClipTokenizerReference.Cases;
        using var directory = new ClipTokenizerTempDirectory();
        string path = Path.Combine(directory.Path, "bpe_simple_vocab_16e6.txt");
        using (var gzip = new GZipStream(File.OpenRead(ClipTokenizerReference.BpeGzPath), CompressionMode.Decompress))
        using (var output = File.Create(path))
            gzip.CopyTo(output);

        ClipTokenizer tokenizer = ClipTokenizer.FromBpeFile(path);

        tokenizer.Encode(cases[0].Text).Should().Equal(cases[0].Ids);
    }

    [Fact]
    public void A_bpe_file_with_too_few_merges_says_how_many_it_needs()
    {
        using var directory = new ClipTokenizerTempDirectory();
        string path = Path.Combine(directory.Path, "bpe.txt.gz");
        WriteGzip(path, "bpe_simple_vocab_16e6.txt#version: 0.2\ni n\nt h\n");
        File.WriteAllText(path + ".txt", "#version: 0.2\ni n\nt h\n");
        FluentActions.Invoking(() => ClipTokenizer.FromBpeFile(path + ".txt"))
            .Should().Throw<FormatException>().WithMessage("*2 merge lines*48,894*");

        FluentActions.Invoking(() => ClipTokenizer.FromBpeFile(path))
            .Should().Throw<FormatException>().WithMessage("*2 merge lines*48,894*");
    }

    [SkippableFact]
    public void A_malformed_merge_line_in_the_bpe_file_is_reported_with_its_line_number()
    {
        string[] lines;
        using (var gzip = new GZipStream(File.OpenRead(ClipTokenizerReference.BpeGzPath), CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip, Encoding.UTF8))
            lines = reader.ReadToEnd().Split('\n');
        lines[4] = "i n g";   // file line 5
        using var directory = new ClipTokenizerTempDirectory();
        string path = Path.Combine(directory.Path, "broken.txt.gz");
        WriteGzip(path, string.Join("\n", lines));

        FluentActions.Invoking(() => ClipTokenizer.FromBpeFile(path))
            .Should().Throw<FormatException>().WithMessage($"*{path}*line 5*two symbols*'i n g'*");
    }

    [SkippableFact]
    public void A_bpe_merge_of_unknown_symbols_is_reported_with_its_line_number()
    {
        string[] lines;
        using (var gzip = new GZipStream(File.OpenRead(ClipTokenizerReference.BpeGzPath), CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip, Encoding.UTF8))
            lines = reader.ReadToEnd().Split('\n');
        lines[9] = "qqq zzz";   // file line 10: neither side exists yet
        using var directory = new ClipTokenizerTempDirectory();
        string path = Path.Combine(directory.Path, "broken.txt.gz");
        WriteGzip(path, string.Join("\n", lines));

        FluentActions.Invoking(() => ClipTokenizer.FromBpeFile(path))
            .Should().Throw<FormatException>().WithMessage("*line 10*'qqq zzz'*'qqq'*earlier merge*");
    }

    [Fact]
    public void A_malformed_merges_txt_line_is_reported_with_its_line_number()
    {
        using var directory = new ClipTokenizerTempDirectory();
        var (vocab, merges) = WriteTinyHuggingFaceFiles(directory.Path, "#version: 0.2\na b\nab\n");

        FluentActions.Invoking(() => ClipTokenizer.FromVocabAndMerges(vocab, merges))
            .Should().Throw<FormatException>().WithMessage($"*{merges}*line 3*two symbols*'ab'*");
    }

    [Fact]
    public void A_merge_of_tokens_missing_from_vocab_json_names_the_token_and_line()
    {
        using var directory = new ClipTokenizerTempDirectory();
        var (vocab, merges) = WriteTinyHuggingFaceFiles(directory.Path, "#version: 0.2\na b\nab c\n");

        FluentActions.Invoking(() => ClipTokenizer.FromVocabAndMerges(vocab, merges))
            .Should().Throw<FormatException>().WithMessage("*line 3*'ab c'*'c'*vocab.json*");
    }

    [Fact]
    public void A_vocab_json_without_the_special_tokens_with_bad_ids_or_not_an_object_is_a_clear_error()
    {
        using var directory = new ClipTokenizerTempDirectory();
        string vocab = Path.Combine(directory.Path, "vocab.json");
        string merges = Path.Combine(directory.Path, "merges.txt");
        File.WriteAllText(merges, "#version: 0.2\na b\n");

        File.WriteAllText(vocab, """{"a": 0, "b": 1, "ab": 2}""");
        FluentActions.Invoking(() => ClipTokenizer.FromVocabAndMerges(vocab, merges))
            .Should().Throw<FormatException>().WithMessage("*<|startoftext|>*");

        File.WriteAllText(vocab, """{"a": 0, "b": 0, "ab": 2, "<|startoftext|>": 3, "<|endoftext|>": 4}""");
        FluentActions.Invoking(() => ClipTokenizer.FromVocabAndMerges(vocab, merges))
            .Should().Throw<FormatException>().WithMessage("*id 0 to both 'a' and 'b'*");

        File.WriteAllText(vocab, """{"a": 0, "b": 1, "ab": -2, "<|startoftext|>": 3, "<|endoftext|>": 4}""");
        FluentActions.Invoking(() => ClipTokenizer.FromVocabAndMerges(vocab, merges))
            .Should().Throw<FormatException>().WithMessage("*'ab' the id -2*");

        File.WriteAllText(vocab, """["a", "b"]""");
        FluentActions.Invoking(() => ClipTokenizer.FromVocabAndMerges(vocab, merges))
            .Should().Throw<FormatException>().WithMessage($"*{vocab}*JSON object*");
    }

    [Fact]
    public void A_tiny_hugging_face_vocabulary_tokenizes_with_its_own_merges_and_specials()
    {
        using var directory = new ClipTokenizerTempDirectory();
        var (vocab, merges) = WriteTinyHuggingFaceFiles(directory.Path, "#version: 0.2\na b</w>\n");

        ClipTokenizer tokenizer = ClipTokenizer.FromVocabAndMerges(vocab, merges);

        // "ab" → a, b</w> → merged "ab</w>" (id 5); "ba" has no merge: b, a</w>.
        tokenizer.Encode("AB ba").Should().Equal(5, 1, 2);
        tokenizer.Decode([5, 1, 2]).Should().Be("ab ba ");
        using var row = tokenizer.Tokenize("ab", contextLength: 4);
        ClipTokenizerReference.Read(row).Should().Equal(6, 5, 7, 0);
    }

    private static (string Vocab, string Merges) WriteTinyHuggingFaceFiles(string directory, string mergesText)
    {
        string vocab = Path.Combine(directory, "vocab.json");
        string merges = Path.Combine(directory, "merges.txt");
        File.WriteAllText(vocab, """{"a": 0, "b": 1, "a</w>": 2, "b</w>": 3, "ab": 4, "ab</w>": 5, "<|startoftext|>": 6, "<|endoftext|>": 7}""");
        File.WriteAllText(merges, mergesText);
        return (vocab, merges);
    }

    private static void WriteGzip(string path, string content)
    {
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gzip.Write(Encoding.UTF8.GetBytes(content));
    }

    private static string Quote(string text) => "\"" + (text.Length > 40 ? text[..40] + "…" : text) + "\"";
}

/// <summary>A fresh folder under the temp directory, deleted on dispose.</summary>
internal sealed class ClipTokenizerTempDirectory : IDisposable
{
    public ClipTokenizerTempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edsam-tokenizer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* best effort: a leftover temp folder is harmless */ }
    }
}
