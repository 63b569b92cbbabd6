using EdSam.Data.Augmentation;
using EdSam.Distillation.Students;
using EdSam.Distillation.Tests.TestSupport;

namespace EdSam.Distillation.Tests;

public sealed class Vl2vAdipOptionsTests
{
    [Fact]
    public void Defaults_are_the_published_recipe()
    {
        var options = new Vl2vAdipOptions();
        options.Method.Should().Be(DistillationMethod.Vl2vAdip);
        options.Student.Should().Be(StudentArchitecture.ResNet50);
        options.Lambda.Should().Be(0.5);
        options.LearningRate.Should().Be(5e-5);
        options.WeightDecay.Should().Be(0);
        options.BatchSizePerDomain.Should().Be(32);
        options.AlignSteps.Should().Be(5001);
        options.DistillSteps.Should().Be(5001);
        options.EvaluateEvery.Should().Be(200);
        options.Augment.Should().BeTrue();
        options.UseSwad.Should().BeTrue();
        options.Swad.ConvergeCount.Should().Be(3);
        options.Swad.ToleranceCount.Should().Be(6);
        options.Swad.ToleranceRatio.Should().Be(0.3);
        options.Prompts.Should().Be(PromptStyle.Photo);
        options.StudentNormalization.Should().BeSameAs(Normalize.ImageNet);
        options.Seed.Should().Be(0);
        options.Device.Should().BeNull();
        options.CheckpointDirectory.Should().BeNull();
        options.StudentImageSize.Should().BeNull("the student takes the teacher's image size unless told otherwise");
    }

    [Fact]
    public void Validation_lists_every_problem()
    {
        var options = new Vl2vAdipOptions { Lambda = 2, LearningRate = 0, BatchSizePerDomain = 0, EvaluateEvery = 0, KdTemperature = -1, StudentImageSize = 0 };
        var act = () => options.Validate();
        act.Should().Throw<ArgumentException>().Which.Message.Should()
            .Contain("Teacher: a CLIP model is required.")
            .And.Contain("Tokenizer:")
            .And.Contain("Lambda: must be in [0, 1]; got 2.")
            .And.Contain("LearningRate: must be positive and finite; got 0.")
            .And.Contain("BatchSizePerDomain: must be at least 1; got 0.")
            .And.Contain("EvaluateEvery: must be at least 1; got 0.")
            .And.Contain("KdTemperature: must be positive and finite; got -1.")
            .And.Contain("StudentImageSize: must be positive (or null for the teacher's size); got 0.");
    }

    [Fact]
    public void Erm_needs_no_tokenizer_and_the_trainer_validates()
    {
        using var teacher = TinySetup.Teacher();
        new Vl2vAdipOptions { Teacher = teacher, Method = DistillationMethod.Erm }.Validate();
        var act = () => new Vl2vAdipTrainer(new Vl2vAdipOptions { Teacher = teacher });
        act.Should().Throw<ArgumentException>().WithMessage("*Tokenizer*");
    }
}
