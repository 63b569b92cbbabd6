using EdSam.Clip;
using EdSam.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

public sealed class ClipVocabularyTests
{
    // The real OpenAI BPE has 49,408 tokens (256 + 256 + 48,894 merges + SOT/EOT); the tiny fixtures have vocab_size 1000.
    private static readonly Lazy<ClipTokenizer> RealTokenizer = new(() => ClipTokenizer.FromBpeFile(SharedFixtures.Clip("bpe_simple_vocab_16e6.txt.gz")));

    [SkippableFact]
    public void A_zero_shot_classifier_refuses_a_tokenizer_larger_than_the_model_vocabulary_before_encoding()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using ClipModel model = fixture.LoadModel();

        var act = () => new ZeroShotClassifier(model, RealTokenizer.Value, ["cat", "dog"]);

        var error = act.Should().Throw<ClipTokenizerMismatchException>().Which;
        error.Message.Should().Contain("49408 tokens").And.Contain("token ids up to 49407")
            .And.Contain("vocab_size 1000 (text_cfg.vocab_size)").And.NotContain("Parameter");
        error.ModelVocabularySize.Should().Be(1000);
        error.LargestTokenId.Should().Be(49407);
    }

    [SkippableFact]
    public void The_message_names_the_tokenizer_source_and_the_model_when_given()
    {
        ClipConfig config = ClipConfig.FromJson(SharedFixtures.Clip("tiny-vit.config.json"));

        var act = () => ClipVocabulary.EnsureFits(RealTokenizer.Value, config, "bpe.txt.gz", "models/tiny");

        act.Should().Throw<ClipTokenizerMismatchException>()
            .WithMessage("The tokenizer (bpe.txt.gz, 49408 tokens) does not match the model 'models/tiny': *vocab_size 1000*");
    }

    [SkippableFact]
    public void A_tokenizer_fits_a_model_with_an_equal_or_larger_vocabulary()
    {
        ClipConfig tiny = ClipConfig.FromJson(SharedFixtures.Clip("tiny-vit.config.json"));

        foreach (int vocabSize in new[] { 49408, 50000 })
        {
            ClipConfig config = tiny with { Text = tiny.Text with { VocabSize = vocabSize } };
            var act = () => ClipVocabulary.EnsureFits(RealTokenizer.Value, config);
            act.Should().NotThrow($"vocab_size {vocabSize} covers every id below 49408");
        }
        ClipConfig oneShort = tiny with { Text = tiny.Text with { VocabSize = 49407 } };
        ((Action)(() => ClipVocabulary.EnsureFits(RealTokenizer.Value, oneShort))).Should().Throw<ClipTokenizerMismatchException>()
            .Which.ModelVocabularySize.Should().Be(49407);
    }

    [SkippableFact]
    public void A_tokenization_function_that_does_not_match_is_refused_on_its_first_output()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using ClipModel model = fixture.LoadModel();
        int calls = 0;
        Func<IReadOnlyList<string>, Tensor> tokenize = prompts =>
        {
            calls++;
            return RealTokenizer.Value.Tokenize(prompts, model.ContextLength);
        };

        var act = () => new ZeroShotClassifier(model, tokenize, ["cat", "dog"]);

        act.Should().Throw<ClipTokenizerMismatchException>()
            .WithMessage("The tokenizer does not match the model: it produced token id 49407, but the model's text tower has vocab_size 1000*[0, 1000)*");
        calls.Should().Be(1);
    }

    [SkippableFact]
    public void Token_ids_are_checked_whatever_their_integer_dtype_and_negative_ids_are_named()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using ClipModel model = fixture.LoadModel();

        using var fits = tensor(new long[] { 998, 5, 999 }, ScalarType.Int64).view(1, 3);
        using var fitsInt32 = fits.to(ScalarType.Int32);
        using var tooLarge = tensor(new[] { 998, 1000, 999 }, ScalarType.Int32).view(1, 3);
        using var negative = tensor(new long[] { 998, -3, 999 }).view(1, 3);

        ((Action)(() => ClipVocabulary.EnsureTokensFit(fits, model))).Should().NotThrow();
        ((Action)(() => ClipVocabulary.EnsureTokensFit(fitsInt32, model))).Should().NotThrow();
        ((Action)(() => ClipVocabulary.EnsureTokensFit(tooLarge, model, "tiny"))).Should().Throw<ClipTokenizerMismatchException>()
            .WithMessage("*model 'tiny': it produced token id 1000*vocab_size 1000*");
        ((Action)(() => ClipVocabulary.EnsureTokensFit(negative, model))).Should().Throw<ClipTokenizerMismatchException>()
            .WithMessage("*token id -3; token ids cannot be negative.");
    }

    [SkippableFact]
    public void EncodeText_still_refuses_out_of_range_ids_and_hints_at_the_tokenizer()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using ClipModel model = fixture.LoadModel();
        using var tokens = RealTokenizer.Value.Tokenize(["a cat"], model.ContextLength);

        ((Action)(() => model.EncodeText(tokens))).Should().Throw<ArgumentException>()
            .WithMessage("Token ids must lie in [0, 1000) for this model (text_cfg.vocab_size 1000); got ids from 0 to 49407. *tokenizer does not match the model*");
    }
}
