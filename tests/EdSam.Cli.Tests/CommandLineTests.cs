using EdSam.Cli.Tests.TestSupport;

namespace EdSam.Cli.Tests;

/// <summary>Help, usage errors and exit codes, for every command.</summary>
public sealed class CommandLineTests
{
    public static TheoryData<string, string[]> CommandsAndOptions => new()
    {
        { "zero-shot", ["--model", "--weights", "--tokenizer", "--labels", "--template", "--top", "--batch-size", "--json", "<images>"] },
        { "embed", ["--model", "--weights", "--tokenizer", "--images", "--texts", "--out", "--batch-size", "--shard-index", "--shard-count"] },
        { "eval", ["--model", "--weights", "--tokenizer", "--data", "--domain", "--template", "--batch-size", "--max-per-domain", "--json"] },
        { "convert", ["--in", "--out", "--to", "--dtype"] },
        { "augment", ["--diffusion", "--data", "--out", "--samples-per-image", "--rho", "--start-alpha-cumprod", "--sampling-steps", "--eta", "--guidance-scale",
            "--guided", "--model", "--seed", "--batch-size", "--source-per-shard", "--shard-prefix", "--shard-index", "--shard-count"] },
        { "train", ["--model", "--weights", "--tokenizer", "--data", "--test-domain", "--adversarial", "--out", "--epochs", "--batch-size", "--lr",
            "--warmup-steps", "--weight-decay", "--adversarial-weight", "--seed", "--checkpoints", "--checkpoint-every"] },
        { "distill", ["--model", "--data", "--test-domain", "--out", "--method", "--student", "--student-weights", "--align-steps", "--distill-steps",
            "--batch-size-per-domain", "--lr", "--lambda", "--evaluate-every", "--no-swad", "--no-augment", "--seed", "--checkpoints", "--checkpoint-every"] },
    };

    [Theory]
    [MemberData(nameof(CommandsAndOptions))]
    public void Help_lists_every_option_of_the_command(string command, string[] options)
    {
        var result = CliRun.Invoke(command, "--help");

        result.ExitCode.Should().Be(0);
        foreach (string option in options) result.Out.Should().Contain(option);
        result.Out.Should().Contain("--verbose");
    }

    [Fact]
    public void Root_help_lists_the_commands()
    {
        var result = CliRun.Invoke("--help");

        result.ExitCode.Should().Be(0);
        result.Out.Should().ContainAll("zero-shot", "embed", "eval", "convert", "augment", "train", "distill");
    }

    [Theory]
    [InlineData("zero-shot", "--model", "m", "--labels", "a", "--bogus", "x.png")]
    [InlineData("convert", "--in", "a.safetensors", "--out", "b.safetensors", "--to", "hf", "--bogus")]
    public void An_unknown_option_is_a_usage_error_that_names_it(params string[] args)
    {
        var result = CliRun.Invoke(args);

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("--bogus").And.Contain($"edsam {args[0]} --help");
        result.Out.Should().BeEmpty();
    }

    [Fact]
    public void Validation_messages_name_the_flags_of_the_properties_they_mention()
    {
        var command = new System.CommandLine.Command("augment")
        {
            new System.CommandLine.Option<double>("--rho"),
            new System.CommandLine.Option<int>("--samples-per-image"),
            new System.CommandLine.Option<int>("--seed"),
            new System.CommandLine.Option<bool>("-q"),
        };

        var flags = CommandRunner.FlagsNamedIn("Invalid TransportOptions: The field Rho must be between 0 and 100. SamplesPerImage: must be positive.", command);

        flags.Should().Equal(("Rho", "--rho"), ("SamplesPerImage", "--samples-per-image"));
        CommandRunner.FlagsNamedIn("Invalid X: Seeds must differ.", command).Should().BeEmpty("whole words only");
    }

    [Fact]
    public void A_missing_required_option_is_a_usage_error_that_names_it()
    {
        var result = CliRun.Invoke("convert", "--in", "a.safetensors", "--to", "hf");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("--out");
    }

    [Fact]
    public void A_value_outside_the_choices_is_a_usage_error()
    {
        var result = CliRun.Invoke("convert", "--in", "a.safetensors", "--out", "b.safetensors", "--to", "tensorflow");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("tensorflow");
    }

    [Fact]
    public void A_non_positive_batch_size_is_a_usage_error()
    {
        var result = CliRun.Invoke("embed", "--model", "m", "--texts", "t.txt", "--out", "o.safetensors", "--batch-size", "0");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("--batch-size");
    }

    [Fact]
    public void An_unknown_command_is_a_usage_error()
    {
        var result = CliRun.Invoke("frobnicate");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("frobnicate");
    }

    [Fact]
    public void A_missing_input_file_exits_1_naming_the_path_without_a_stack_trace()
    {
        using var temp = new TempFolder();
        string missing = temp.File("no-such-checkpoint.safetensors");

        var result = CliRun.Invoke("convert", "--in", missing, "--out", temp.File("out.safetensors"), "--to", "hf");

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain(missing).And.Contain("--in");
        result.Error.Should().NotContain("   at ");
        File.Exists(temp.File("out.safetensors")).Should().BeFalse();
    }

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        using var temp = new TempFolder();
        string missing = temp.File("no-such-checkpoint.safetensors");

        var result = CliRun.Invoke("convert", "--in", missing, "--out", temp.File("out.safetensors"), "--to", "hf", "--verbose");

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain(missing).And.Contain("   at ");
    }

    [Fact]
    public void A_missing_image_exits_1_naming_it_before_any_model_is_loaded()
    {
        using var temp = new TempFolder();
        string missing = temp.File("missing.png");

        // The model does not exist either: the image check comes first, so the message is about the image.
        var result = CliRun.Invoke("zero-shot", "--model", temp.File("no-model"), "--labels", "a,b", missing);

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain(missing);
    }

    [Fact]
    public void A_missing_model_folder_exits_1_naming_it()
    {
        using var temp = new TempFolder();
        string image = TestModels.WriteSolidPng(temp.File("x.png"), 1, 0, 0);
        string model = temp.File("no-model-here");

        var result = CliRun.Invoke("zero-shot", "--model", model, "--labels", "a,b", image);

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain(model);
    }
}
