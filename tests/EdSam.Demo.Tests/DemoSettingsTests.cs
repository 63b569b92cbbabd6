namespace EdSam.Demo.Tests;

public class DemoSettingsTests
{
    private static readonly string[] AllDomains = ["photo", "negative", "sketch", "blurred-noisy", "tinted-texture", "rotated"];

    [Fact]
    public void No_options_give_the_default_preset_on_sketch_with_seed_0()
    {
        var settings = DemoSettings.Parse([]);

        settings.Preset.Should().Be("default");
        // The numbers docs/results.md was measured with: changing them silently changes the published table.
        (settings.ImageSize, settings.MaxPerDomain, settings.ClipEpochs, settings.ClipBatchSize, settings.ClipLearningRate)
            .Should().Be((24, 300, 12, 32, 1e-3));
        (settings.DiffusionSteps, settings.DiffusionEmaDecay, settings.SamplesPerImage, settings.SamplingSteps, settings.AdversarialWeight, settings.StudentSteps)
            .Should().Be((250, 0.99, 2, 5, 1.0, 150));
        settings.TestDomains.Should().Equal("sketch");
        settings.Seeds.Should().Equal(0);
        settings.OutputFolder.Should().Be("edsam-demo");
        settings.Threads.Should().Be(Environment.ProcessorCount);
        settings.Clip.Should().BeNull();
        settings.Folds().Should().Equal(("sketch", 0));
    }

    [Fact]
    public void Quick_is_the_small_preset_wherever_the_flag_stands()
    {
        var settings = DemoSettings.Parse(["--out", "x", "--quick"]);

        settings.Preset.Should().Be("quick");
        (settings.ImageSize, settings.MaxPerDomain, settings.ClipEpochs, settings.DiffusionSteps, settings.SamplesPerImage, settings.SamplingSteps, settings.StudentSteps)
            .Should().Be((16, 100, 20, 120, 2, 4, 60));
        settings.OutputFolder.Should().Be("x");
    }

    [Fact]
    public void Full_runs_the_default_fold_settings_over_six_domains_and_three_seeds()
    {
        var full = DemoSettings.Parse(["--full"]);

        full.Preset.Should().Be("full");
        full.TestDomains.Should().Equal(AllDomains);
        full.Seeds.Should().Equal(0, 1, 2);
        full.Folds().Should().HaveCount(18).And.OnlyHaveUniqueItems();
        full.Folds().Take(6).Should().OnlyContain(f => f.Seed == 0, "seeds are outermost, so a partial run covers every domain");
        // The default run is one cell of the full table: its fold record is the full run's, apart from the preset's name.
        FoldRecord.Text(full with { Preset = "default" }, "sketch", 0).Should().Be(FoldRecord.Text(DemoSettings.Default, "sketch", 0));
        FoldRecord.Text(full, "sketch", 0).Should().NotBe(FoldRecord.Text(DemoSettings.Default, "sketch", 0));
    }

    [Fact]
    public void Every_option_sets_its_value()
    {
        var settings = DemoSettings.Parse(["--test-domains", "photo, rotated", "--seeds", "2,0,2", "--threads", "3", "--out", "/tmp/somewhere"]);

        settings.TestDomains.Should().Equal("photo", "rotated");
        settings.Seeds.Should().Equal(2, 0);
        settings.Threads.Should().Be(3);
        settings.OutputFolder.Should().Be("/tmp/somewhere");
        settings.Folds().Should().Equal(("photo", 2), ("rotated", 2), ("photo", 0), ("rotated", 0));
        settings.FoldFolder("photo", 2).Should().Be(Path.Combine("/tmp/somewhere", "photo", "seed-2"));

        DemoSettings.Parse(["--test-domain", "negative", "--seed", "7"]).Folds().Should().Equal(("negative", 7));
        DemoSettings.Parse(["--all-domains"]).TestDomains.Should().Equal(AllDomains);
        DemoSettings.Parse(["--all-domains"]).Preset.Should().Be("default");
    }

    [Fact]
    public void Clip_options_are_recorded_together()
    {
        var settings = DemoSettings.Parse(["--clip", "w.safetensors", "--clip-config", "ViT-B-32", "--vocab", "bpe.txt.gz", "--quick"]);

        settings.Clip.Should().Be(new GivenClip { Weights = "w.safetensors", Config = "ViT-B-32", Vocab = "bpe.txt.gz" });
        settings.Preset.Should().Be("quick");
    }

    [Theory]
    [InlineData(new[] { "--clip", "w.safetensors" }, "--clip-config and --vocab")]
    [InlineData(new[] { "--clip-config", "ViT-B-32", "--vocab", "v.gz" }, "missing --clip.")]
    [InlineData(new[] { "--vocab", "v.gz", "--clip", "w.safetensors" }, "missing --clip-config.")]
    public void A_partial_set_of_clip_options_names_what_is_missing(string[] args, string missing)
    {
        var parse = () => DemoSettings.Parse(args);

        parse.Should().Throw<ArgumentException>().Which.Message.Should().Contain("go together").And.Contain(missing);
    }

    [Theory]
    [InlineData(new[] { "--bogus" }, "Unknown option '--bogus'")]
    [InlineData(new[] { "--quick", "extra" }, "Unknown option 'extra'")]
    [InlineData(new[] { "--seed" }, "--seed needs a value")]
    [InlineData(new[] { "--out", "--quick" }, "--out needs a value")]
    [InlineData(new[] { "--clip" }, "--clip needs a value")]
    [InlineData(new[] { "--test-domain", "moon" }, "--test-domain: unknown domain 'moon'; the domains are photo, negative, sketch, blurred-noisy, tinted-texture, rotated.")]
    [InlineData(new[] { "--test-domains", "photo,Sketch" }, "unknown domain 'Sketch'")]
    [InlineData(new[] { "--test-domains", " , " }, "--test-domains needs at least one domain")]
    [InlineData(new[] { "--seed", "-1" }, "--seed: '-1' is not an integer ≥ 0")]
    [InlineData(new[] { "--seeds", "0,x" }, "--seeds: 'x' is not an integer ≥ 0")]
    [InlineData(new[] { "--seed", "1.5" }, "'1.5' is not an integer")]
    [InlineData(new[] { "--threads", "0" }, "--threads: '0' is not an integer ≥ 1")]
    [InlineData(new[] { "--threads", "many" }, "--threads: 'many' is not an integer ≥ 1")]
    public void Bad_input_is_an_argument_exception_naming_the_option_and_value(string[] args, string expected)
    {
        var parse = () => DemoSettings.Parse(args);

        parse.Should().Throw<ArgumentException>().Which.Message.Should().Contain(expected);
    }

    [Fact]
    public void Unknown_options_show_the_usage_including_the_clip_options()
    {
        var parse = () => DemoSettings.Parse(["--help"]);

        parse.Should().Throw<ArgumentException>().Which.Message.Should().Contain("Usage: EdSam.Demo").And.Contain("--clip").And.Contain("--vocab");
    }

    [Fact]
    public void The_smoke_preset_is_tiny_single_threaded_and_not_reachable_from_the_command_line()
    {
        var smoke = DemoSettings.Smoke;

        smoke.Preset.Should().Be("smoke");
        smoke.Threads.Should().Be(1);
        (smoke.ImageSize * smoke.MaxPerDomain).Should().BeLessThanOrEqualTo(DemoSettings.Quick.ImageSize * DemoSettings.Quick.MaxPerDomain / 10);
        var parse = () => DemoSettings.Parse(["--smoke"]);
        parse.Should().Throw<ArgumentException>();
    }
}
