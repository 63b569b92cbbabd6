using System.Text.Json;
using EdSam.Demo.Tests.TestSupport;

namespace EdSam.Demo.Tests;

public class FoldRecordTests
{
    [Fact]
    public void The_first_claim_writes_the_record_and_the_same_settings_claim_it_again()
    {
        using var folder = new TemporaryFolder();
        string fold = Path.Combine(folder.Path, "sketch", "seed-0");

        FoldRecord.Claim(fold, DemoSettings.Quick, "sketch", 0, out var conflict).Should().BeTrue();
        conflict.Should().BeNull();
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(fold, "settings.json"))))
        {
            json.RootElement.GetProperty("TestDomain").GetString().Should().Be("sketch");
            json.RootElement.GetProperty("Seed").GetInt32().Should().Be(0);
            var settings = json.RootElement.GetProperty("Settings");
            settings.GetProperty("Preset").GetString().Should().Be("quick");
            settings.GetProperty("ImageSize").GetInt32().Should().Be(16);
            settings.TryGetProperty("Clip", out _).Should().BeFalse("runs without given weights keep the record they always had");
            settings.TryGetProperty("Threads", out _).Should().BeFalse("threads do not change the results");
        }

        // Threads and the output folder do not change what a stage computes.
        FoldRecord.Claim(fold, DemoSettings.Quick with { Threads = 1, OutputFolder = "elsewhere" }, "sketch", 0, out conflict).Should().BeTrue();
        conflict.Should().BeNull();
        Directory.GetFiles(fold).Select(Path.GetFileName).Should().Equal("settings.json");
    }

    private static readonly Dictionary<string, (DemoSettings Settings, string Domain, int Seed)> OtherRuns = new()
    {
        ["another preset"] = (DemoSettings.Default, "sketch", 0),
        ["another step count"] = (DemoSettings.Quick with { DiffusionSteps = 151 }, "sketch", 0),
        ["another domain"] = (DemoSettings.Quick, "photo", 0),
        ["another seed"] = (DemoSettings.Quick, "sketch", 1),
        ["given CLIP weights"] = (DemoSettings.Quick with { Clip = new GivenClip { Weights = "/w", Config = "ViT-B-32", Vocab = "/v", WeightsSha256 = "ab" } }, "sketch", 0),
    };

    [Theory]
    [InlineData("another preset")]
    [InlineData("another step count")]
    [InlineData("another domain")]
    [InlineData("another seed")]
    [InlineData("given CLIP weights")]
    public void A_folder_written_with_other_settings_is_refused_and_left_alone(string other)
    {
        using var folder = new TemporaryFolder();
        string fold = Path.Combine(folder.Path, "fold");
        FoldRecord.Claim(fold, DemoSettings.Quick, "sketch", 0, out _).Should().BeTrue();
        string before = File.ReadAllText(Path.Combine(fold, "settings.json"));

        var (settings, domain, seed) = OtherRuns[other];
        FoldRecord.Claim(fold, settings, domain, seed, out var conflict).Should().BeFalse(other);

        conflict.Should().Contain(Path.GetFullPath(Path.Combine(fold, "settings.json"))).And.Contain("other settings").And.Contain("--out");
        File.ReadAllText(Path.Combine(fold, "settings.json")).Should().Be(before);
    }

    [Fact]
    public void Another_checkpoint_under_the_same_path_is_refused()
    {
        using var folder = new TemporaryFolder();
        var given = new GivenClip { Weights = "/models/clip.safetensors", Config = "ViT-B-32", Vocab = "/v.gz", WeightsSha256 = "aa", VocabSha256 = "cc" };
        FoldRecord.Claim(folder.Path, DemoSettings.Quick with { Clip = given }, "sketch", 0, out _).Should().BeTrue();

        FoldRecord.Claim(folder.Path, DemoSettings.Quick with { Clip = given with { WeightsSha256 = "bb" } }, "sketch", 0, out var conflict).Should().BeFalse();
        conflict.Should().NotBeNull();
        FoldRecord.Claim(folder.Path, DemoSettings.Quick with { Clip = given with { } }, "sketch", 0, out _).Should().BeTrue();
    }
}
