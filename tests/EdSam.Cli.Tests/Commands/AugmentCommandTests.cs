using EdSam.Cli.Tests.TestSupport;
using EdSam.Data.WebDataset;
using EdSam.Diffusion.Models;

namespace EdSam.Cli.Tests.Commands;

public sealed class AugmentCommandTests
{
    [Fact]
    public void Workers_write_their_own_shards_and_a_rerun_skips_complete_ones()
    {
        using var temp = new TempFolder();
        using (var unet = new UNet2D(UNet2DConfig.Tiny(16))) unet.Save(temp.File("unet"));
        for (int i = 0; i < 4; i++) TestModels.WriteSolidPng(temp.File($"src/{i}.png"), 0.2f * i, 0.5f, 0.9f - 0.2f * i, 20, 20);
        string[] common = ["augment", "--diffusion", temp.File("unet"), "--data", temp.File("src"), "--out", temp.File("aug"),
            "--samples-per-image", "2", "--sampling-steps", "2", "--source-per-shard", "2", "--batch-size", "2", "--shard-count", "2"];

        var worker0 = CliRun.Invoke([.. common, "--shard-index", "0"]);
        worker0.ExitCode.Should().Be(0, worker0.Error);
        Directory.GetFiles(temp.File("aug"), "*.tar").Select(Path.GetFileName).Should().Equal("edsam-000000.tar");
        new WebDatasetReader(temp.File("aug/edsam-000000.tar")).Count().Should().Be(4, "2 source images × M = 2");

        var worker1 = CliRun.Invoke([.. common, "--shard-index", "1"]);
        worker1.ExitCode.Should().Be(0, worker1.Error);
        Directory.GetFiles(temp.File("aug"), "*.tar").Select(Path.GetFileName).Order().Should().Equal("edsam-000000.tar", "edsam-000001.tar");

        var rerun = CliRun.Invoke([.. common, "--shard-index", "0"]);
        rerun.ExitCode.Should().Be(0, rerun.Error);
        rerun.Out.Should().Contain("wrote 0 shard(s)").And.Contain("skipped 1");
    }

    [Fact]
    public void Guided_without_a_model_is_a_usage_error()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("unet"));
        TestModels.WriteSolidPng(temp.File("a.png"), 1, 0, 0);

        var result = CliRun.Invoke("augment", "--diffusion", temp.File("unet"), "--data", temp.File("a.png"), "--out", temp.File("aug"), "--guided");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("--guided").And.Contain("--model");
    }
}
