using System.Globalization;
using System.Text.RegularExpressions;
using EdSam.Cli.Tests.TestSupport;
using EdSam.Data.DomainBed;
using EdSam.Distillation;

namespace EdSam.Cli.Tests.Commands;

public sealed class DistillCommandTests
{
    [SkippableFact]
    public void Distillation_saves_a_model_whose_held_out_accuracy_is_the_reported_one()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        string data = TestModels.WriteDomainBed(temp.File("data"), ["a", "b", "c"], ["red", "blue"], perClass: 2);

        var result = CliRun.Invoke("distill", "--model", modelFolder, "--data", data, "--test-domain", "c", "--out", temp.File("student"),
            "--student", "TinyResNet", "--align-steps", "2", "--distill-steps", "2", "--evaluate-every", "1", "--batch-size-per-domain", "2", "--no-swad");

        result.ExitCode.Should().Be(0, result.Error);
        double reported = double.Parse(Regex.Match(result.Out, @"'c': ([0-9.]+)%").Groups[1].Value, CultureInfo.InvariantCulture);
        using var student = Vl2vAdipModel.Load(temp.File("student"));
        var evaluation = student.Evaluate(DomainBedFolder.Open(data).GetExamples("c"));
        reported.Should().BeApproximately(100 * evaluation.Accuracy, 0.005);
    }

    [SkippableFact]
    public void An_option_out_of_range_is_a_usage_error_that_names_it()
    {
        using var temp = new TempFolder();
        string data = TestModels.WriteDomainBed(temp.File("data"), ["a", "b"], ["red", "blue"], perClass: 1);

        var result = CliRun.Invoke("distill", "--model", TestModels.FullVocabModelFolder(), "--data", data, "--test-domain", "b", "--out", temp.File("student"),
            "--lambda", "2");

        result.ExitCode.Should().Be(2, result.Error);
        result.Error.Should().Contain("invalid options").And.Contain("Lambda: must be in [0, 1]; got 2.").And.Contain("edsam distill --help");
        result.Error.Should().Contain("(Lambda is --lambda)", "the record names its property, the user typed a flag");
        Directory.Exists(temp.File("student")).Should().BeFalse();
    }

    [Fact]
    public void An_unknown_student_is_a_usage_error_that_names_it()
    {
        var result = CliRun.Invoke("distill", "--model", "m", "--data", "d", "--test-domain", "c", "--out", "o", "--student", "ResNet9000");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("ResNet9000");
    }
}
