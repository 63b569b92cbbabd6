using EdSam.Clip;
using EdSam.Distillation.Baselines;
using EdSam.Distillation.Tests.TestSupport;
using EdSam.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests;

/// <summary>A tokenizer that does not fit the teacher (the tiny teacher has vocab_size 64) is refused up front with the
/// library's vocabulary message, not by an out-of-range id deep in the first text encoding.</summary>
public sealed class TokenizerMismatchTests
{
    private static readonly Lazy<ClipTokenizer> RealTokenizer = new(() => ClipTokenizer.FromBpeFile(SharedFixtures.Clip("bpe_simple_vocab_16e6.txt.gz")));

    [SkippableFact]
    public void The_trainer_refuses_a_tokenizer_larger_than_the_teacher_vocabulary_when_it_is_created()
    {
        using var teacher = TinySetup.Teacher();
        var options = TinySetup.Options(teacher) with { Tokenize = null, Tokenizer = RealTokenizer.Value };

        var act = () => new Vl2vAdipTrainer(options);

        act.Should().Throw<ClipTokenizerMismatchException>().WithMessage("*49408 tokens*vocab_size 64 (text_cfg.vocab_size)*");
    }

    [Fact]
    public void A_tokenize_function_that_does_not_match_fails_fit_before_any_training_step()
    {
        using var teacher = TinySetup.Teacher();
        long steps = 0;
        var options = TinySetup.Options(teacher) with { Tokenize = prompts => full(prompts.Count, 12, 64L, ScalarType.Int64) };
        var trainer = new Vl2vAdipTrainer(options) { StepObserver = (_, _, _) => steps++ };

        var act = () => trainer.Fit(TinySetup.Split());

        act.Should().Throw<ClipTokenizerMismatchException>().WithMessage("*token id 64*vocab_size 64*");
        steps.Should().Be(0);
    }

    [SkippableFact]
    public void The_zero_shot_baseline_refuses_a_mismatched_tokenizer()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Split();

        var act = () => ClipZeroShotBaseline.Evaluate(teacher, RealTokenizer.Value, split.ClassNames, split.Test);

        act.Should().Throw<ClipTokenizerMismatchException>().Which.ModelVocabularySize.Should().Be(64);
    }

    [Fact]
    public void The_zero_shot_baseline_with_a_tokenize_function_names_the_id_out_of_range()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Split();

        var act = () => ClipZeroShotBaseline.Evaluate(teacher, prompts => full(prompts.Count, 12, 70L, ScalarType.Int64), split.ClassNames, split.Test);

        act.Should().Throw<ClipTokenizerMismatchException>().WithMessage("*token id 70*vocab_size 64*");
    }
}
