using EdSam.Cli.Tests.TestSupport;
using EdSam.Clip;
using EdSam.IO;
using static TorchSharp.torch;

namespace EdSam.Cli.Tests.Commands;

public sealed class TrainCommandTests
{
    [SkippableFact]
    public void Training_writes_loadable_changed_weights_and_reports_the_held_out_domain()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        string data = TestModels.WriteDomainBed(temp.File("data"), ["a", "b", "c"], ["red", "blue"], perClass: 2);
        string output = temp.File("tuned.safetensors");

        var result = CliRun.Invoke("train", "--model", modelFolder, "--data", data, "--test-domain", "c", "--out", output,
            "--epochs", "1", "--batch-size", "4", "--lr", "1e-3", "--warmup-steps", "0", "--checkpoints", temp.File("ckpt"));

        result.ExitCode.Should().Be(0, result.Error);
        result.Out.Should().Contain("held-out domain 'c'");
        Directory.EnumerateFileSystemEntries(temp.File("ckpt")).Should().NotBeEmpty();
        using var tuned = ClipModel.FromPretrained(ClipConfig.FromJsonText(TestModels.FullVocabConfigJson), output);
        using var original = TestModels.LoadFullVocabModel(modelFolder);
        var before = original.state_dict();
        var after = tuned.state_dict();
        after.Keys.Should().BeEquivalentTo(before.Keys);
        after.Any(kv => !kv.Value.equal(before[kv.Key]).all().item<bool>()).Should().BeTrue("a step with lr 1e-3 changes the weights");
    }

    [SkippableFact]
    public void Ctrl_c_after_the_first_step_exits_130_with_a_checkpoint_and_a_rerun_resumes_to_the_end()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        string data = TestModels.WriteDomainBed(temp.File("data"), ["a", "b"], ["red", "blue"], perClass: 2);
        string[] args = ["train", "--model", modelFolder, "--data", data, "--out", temp.File("tuned.safetensors"),
            "--epochs", "2", "--batch-size", "4", "--checkpoints", temp.File("ckpt")];
        using var ctrlC = new CancellationTokenSource();

        var stopped = CliRun.Invoke(new CliRun.CancelOnLine(ctrlC, "["), ctrlC.Token, args);

        stopped.ExitCode.Should().Be(130, stopped.Error);
        stopped.Error.Should().Contain("stopped after step 1 of 4").And.Contain("resume");
        File.Exists(temp.File("tuned.safetensors")).Should().BeFalse("a stopped run is not a finished model");

        var resumed = CliRun.Invoke(args);

        resumed.ExitCode.Should().Be(0, resumed.Error);
        resumed.Out.Should().Contain("trained 4 steps");
        resumed.Error.Should().NotContain("step 1/4", "the resumed run starts after the checkpointed step");
        File.Exists(temp.File("tuned.safetensors")).Should().BeTrue();
    }

    [Fact]
    public void Adversarial_shards_that_do_not_exist_are_named()
    {
        using var temp = new TempFolder();
        string missing = temp.File("aug/edsam-000000.tar");

        var result = CliRun.Invoke("train", "--model", "m", "--data", temp.Path, "--adversarial", missing, "--out", temp.File("o.safetensors"));

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain(missing);
    }
}
