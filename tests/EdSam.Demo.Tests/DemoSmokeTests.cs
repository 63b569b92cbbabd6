using EdSam.Data;
using EdSam.Data.FashionMnist;
using EdSam.Demo.Tests.TestSupport;
using EdSam.Imaging;

namespace EdSam.Demo.Tests;

/// <summary>The whole program on the tiny smoke preset: every stage, the report, resuming, and refusing a mixed folder.</summary>
public class DemoSmokeTests(SmokeRun run) : IClassFixture<SmokeRun>
{
    private static readonly string[] Stages = ["1-diffusion", "2-transport", "3-clip", "4-edsam", "5-erm", "6-kd", "7-vl2v-adip"];

    private string Fold => Path.Combine(run.Folder, "sketch", "seed-0");

    private static (long Height, long Width) PngSize(string path)
    {
        using var image = ImageDecoder.DecodeFile(path);
        image.shape[0].Should().Be(3);
        return (image.shape[1], image.shape[2]);
    }

    [Fact]
    public void Every_stage_finishes_with_its_result_and_accuracies_in_range()
    {
        run.Error.Should().BeEmpty();
        run.Outcome.ExitCode.Should().Be(0);
        var fold = run.Outcome.Runs.Should().ContainSingle().Subject;
        (fold.Domain, fold.Seed).Should().Be(("sketch", 0));
        fold.Resumed.Should().BeEmpty("the folder was new");
        fold.Results.Keys.Should().BeEquivalentTo(Stages);

        foreach (string stage in Stages)
        {
            File.Exists(Path.Combine(Fold, stage, "result.json")).Should().BeTrue(stage);
            var result = StageResult.TryLoad(Path.Combine(Fold, stage))!;
            result.Stage.Should().Be(stage);
            result.Seconds.Should().BePositive();
            result.Accuracy.Values.Where(a => a is < 0 or > 1 || double.IsNaN(a)).Should().BeEmpty(stage);
        }
        foreach (string stage in Stages.Skip(2))
            StageResult.TryLoad(Path.Combine(Fold, stage))!.Accuracy.Keys.Should().Contain(["val:all", "test:sketch"], stage);
        File.Exists(Path.Combine(Fold, "3-clip", "clip.safetensors")).Should().BeTrue();
        File.Exists(Path.Combine(Fold, "4-edsam", "clip.safetensors")).Should().BeTrue();
        StageResult.TryLoad(Path.Combine(Fold, "3-clip"))!.Losses.Should().NotBeEmpty();
        run.Outcome.Summary.Select(m => m.Stage).Should().Equal("3-clip", "4-edsam", "5-erm", "6-kd", "7-vl2v-adip");
    }

    [Fact]
    public void The_report_and_its_pictures_are_written()
    {
        string report = Path.Combine(run.Folder, "report");
        run.Outcome.Report.Should().Be(Path.GetFullPath(Path.Combine(report, "index.html")));
        File.ReadAllText(Path.Combine(report, "index.html")).Should().Contain("<h1>EdSam demo").And.Contain("accuracy.png").And.Contain("grids/sketch-seed-0.png");
        File.ReadAllText(Path.Combine(report, "results.md")).Should().Contain("preset `smoke` (8 px, ≤ 8 images per domain)").And.Contain("| VL2V-ADiP student (TinyResNet) |");

        PngSize(Path.Combine(report, "accuracy.png")).Should().Be((300, 640));
        PngSize(Path.Combine(report, "loss.png")).Should().Be((360, 640));

        // The grid: one row per source image (one per class present, at most 8), each the source then its x*, 8 px
        // images with 2 px padding between and around them.
        var data = FashionMnistDg.Load(new FashionMnistDgOptions { ImageSize = 8, MaxPerDomain = 8, Seed = 0 });
        int sources = Math.Min(8, data.LeaveOneDomainOut("sketch", 0).Train.Select(e => e.Label).Distinct().Count());
        int columns = 1 + run.Settings.SamplesPerImage;
        var expected = ((long)sources * (8 + 2) + 2, (long)columns * (8 + 2) + 2);
        PngSize(Path.Combine(Fold, "2-transport", "transport-grid.png")).Should().Be(expected);
        PngSize(Path.Combine(report, "grids", "sketch-seed-0.png")).Should().Be(expected);
    }

    [Fact]
    public void A_second_run_into_the_same_folder_resumes_every_stage_and_writes_the_same_table()
    {
        string results = Path.Combine(run.Folder, "report", "results.md");
        string before = File.ReadAllText(results);
        var stamps = Stages.ToDictionary(s => s, s => File.GetLastWriteTimeUtc(Path.Combine(Fold, s, "result.json")));

        var error = new StringWriter();
        var again = DemoProgram.Run(run.Settings, error);

        again.ExitCode.Should().Be(0);
        error.ToString().Should().BeEmpty();
        again.Runs.Single().Resumed.Should().BeEquivalentTo(Stages, "every stage had its result.json");
        Stages.Should().OnlyContain(s => File.GetLastWriteTimeUtc(Path.Combine(Fold, s, "result.json")) == stamps[s]);
        File.ReadAllText(results).Should().Be(before);
    }

    [Fact]
    public void Another_preset_into_the_same_folder_exits_with_code_2_and_the_conflict()
    {
        var before = Directory.GetFileSystemEntries(run.Folder, "*", SearchOption.AllDirectories).Order().ToArray();
        var error = new StringWriter();

        var outcome = DemoProgram.Run(DemoSettings.Quick with { OutputFolder = run.Folder, Threads = 1 }, error);

        outcome.ExitCode.Should().Be(2);
        error.ToString().Should().Contain(Path.GetFullPath(Path.Combine(Fold, "settings.json"))).And.Contain("other settings").And.Contain("--out");
        Directory.GetFileSystemEntries(run.Folder, "*", SearchOption.AllDirectories).Order().Should().Equal(before);
    }

    [Fact]
    public void The_command_line_reports_bad_options_with_exit_code_2()
    {
        var error = new StringWriter();

        DemoProgram.RunCommandLine(["--seed", "x"], error).Should().Be(2);

        error.ToString().Should().Contain("--seed: 'x' is not an integer ≥ 0");
    }
}
