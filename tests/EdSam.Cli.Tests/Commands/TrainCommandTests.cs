using EdSam.Cli.Tests.TestSupport;
using EdSam.Clip;
using EdSam.Diffusion.Models;
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
    public void Training_into_a_folder_writes_a_model_that_the_other_commands_load_by_folder()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        string data = TestModels.WriteDomainBed(temp.File("data"), ["a", "b"], ["red", "blue"], perClass: 2);
        string output = temp.File("tuned");

        var trained = CliRun.Invoke("train", "--model", modelFolder, "--data", data, "--out", output, "--epochs", "1", "--batch-size", "4");
        var evaluated = CliRun.Invoke("eval", "--model", output, "--data", data);

        trained.ExitCode.Should().Be(0, trained.Error);
        trained.Out.Should().Contain($"model written to {output}");
        evaluated.ExitCode.Should().Be(0, evaluated.Error + " — the folder holds config, weights and tokenizer");
        using var tuned = ClipModel.FromPretrained(output);
        using var original = TestModels.LoadFullVocabModel(modelFolder);
        tuned.Config.Should().Be(original.Config);
        tuned.state_dict().Any(kv => !kv.Value.equal(original.state_dict()[kv.Key]).all().item<bool>()).Should().BeTrue("the folder holds the trained weights");
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

    [SkippableFact]
    public void A_rerun_of_a_finished_run_says_already_complete_and_a_changed_option_is_refused()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        string data = TestModels.WriteDomainBed(temp.File("data"), ["a", "b"], ["red", "blue"], perClass: 2);
        string[] args = ["train", "--model", modelFolder, "--data", data, "--out", temp.File("tuned.safetensors"),
            "--epochs", "1", "--batch-size", "4", "--lr", "1e-3", "--checkpoints", temp.File("ckpt")];
        CliRun.Invoke(args).ExitCode.Should().Be(0);
        byte[] finished = File.ReadAllBytes(temp.File("tuned.safetensors"));
        File.Delete(temp.File("tuned.safetensors"));

        var rerun = CliRun.Invoke(args);

        rerun.ExitCode.Should().Be(0, rerun.Error);
        rerun.Out.Should().Contain("already complete: nothing trained; loaded the finished run").And.Contain(temp.File("ckpt")).And.NotContain("trained 2 steps");
        File.ReadAllBytes(temp.File("tuned.safetensors")).Should().Equal(finished, "the finished run's weights are written again");

        var changed = CliRun.Invoke([.. args[..^4], "--lr", "2e-3", "--checkpoints", temp.File("ckpt")]);

        changed.ExitCode.Should().Be(1);
        changed.Error.Should().Contain("LearningRate 0.001 (now 0.002)").And.Contain(temp.File("ckpt")).And.Contain("Use another CheckpointDirectory (--checkpoints)");
    }

    [SkippableFact]
    public void Shards_made_from_another_copy_of_the_data_are_an_error_not_plain_clip_training()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        string data = TestModels.WriteDomainBed(temp.File("data"), ["a", "b"], ["red", "blue"], perClass: 2);
        using (var unet = new UNet2D(UNet2DConfig.Tiny(16))) unet.Save(temp.File("unet"));
        var augment = CliRun.Invoke("augment", "--diffusion", temp.File("unet"), "--data", data, "--out", temp.File("aug"),
            "--samples-per-image", "1", "--sampling-steps", "1", "--batch-size", "4");
        augment.ExitCode.Should().Be(0, augment.Error);
        string shard = temp.File("aug/edsam-000000.tar");
        string copy = temp.File("copy");
        foreach (string file in Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(data, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        string[] train = ["train", "--model", modelFolder, "--out", temp.File("tuned.safetensors"), "--epochs", "1", "--batch-size", "4"];

        var onCopy = CliRun.Invoke([.. train, "--data", copy, "--adversarial", shard]);

        onCopy.ExitCode.Should().Be(1);
        onCopy.Error.Should().Contain("none of the 8 training examples").And.Contain(copy).And.Contain(data).And.Contain("regenerate");
        File.Exists(temp.File("tuned.safetensors")).Should().BeFalse();

        // On the data the shards were made from, every example is covered; re-running that folder without the shards is refused.
        var onOriginal = CliRun.Invoke([.. train, "--data", data, "--adversarial", shard, "--checkpoints", temp.File("ckpt")]);
        onOriginal.ExitCode.Should().Be(0, onOriginal.Error);
        onOriginal.Error.Should().NotContain("warning: only");
        var withoutShards = CliRun.Invoke([.. train, "--data", data, "--checkpoints", temp.File("ckpt")]);
        withoutShards.ExitCode.Should().Be(1);
        withoutShards.Error.Should().Contain("AdversarialWeight 1 (now 0), AdversarialSource shards edsam-000000.tar (now none)");
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
