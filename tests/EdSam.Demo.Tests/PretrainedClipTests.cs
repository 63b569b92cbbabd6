using System.Security.Cryptography;
using System.Text.Json;
using EdSam.Demo.Tests.TestSupport;
using EdSam.IO;
using EdSam.Tests.TestSupport;

namespace EdSam.Demo.Tests;

/// <summary><c>--clip</c>, <c>--clip-config</c>, <c>--vocab</c>: fine-tuning given weights, and every bad input refused with exit code 2.</summary>
public class PretrainedClipTests
{
    private static (int ExitCode, string Error, DemoOutcome Outcome) Run(string output, string weights, string config, string vocab)
    {
        var error = new StringWriter();
        // 12 px here, so that the model's 8 px in the fold's record can only come from the given config.
        var settings = DemoSettings.Smoke with { ImageSize = 12, OutputFolder = output, Clip = new GivenClip { Weights = weights, Config = config, Vocab = vocab } };
        var outcome = DemoProgram.Run(settings, error);
        return (outcome.ExitCode, error.ToString(), outcome);
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();

    [SkippableFact]
    public void A_tokenizer_whose_ids_exceed_the_models_vocab_size_is_refused()
    {
        string weights = SharedFixtures.Clip("tiny-vit.safetensors");
        string config = SharedFixtures.Clip("tiny-vit.config.json");
        string vocab = SharedFixtures.Clip("bpe_simple_vocab_16e6.txt.gz");
        using var folder = new TemporaryFolder();
        string output = Path.Combine(folder.Path, "out");

        var (exitCode, error, _) = Run(output, weights, config, vocab);

        exitCode.Should().Be(2);
        // OpenAI's vocabulary: 49,152 byte-pair tokens + start/end of text, end-of-text = 49407; tiny-vit has 1000 ids.
        error.Should().Contain("--vocab").And.Contain(vocab).And.Contain("--clip-config").And.Contain("49407").And.Contain("vocab_size 1000");
        Directory.Exists(output).Should().BeFalse("nothing runs before the inputs are checked");
    }

    [SkippableFact]
    public void Missing_or_malformed_files_are_refused_naming_the_option_and_file()
    {
        string vocab = SharedFixtures.Clip("bpe_simple_vocab_16e6.txt.gz");
        string tinyVit = SharedFixtures.Clip("tiny-vit.safetensors");
        using var folder = new TemporaryFolder();
        var (config, weights) = RandomClipFiles.Write(folder.Path, seed: 1);
        string output = Path.Combine(folder.Path, "out");
        string badJson = Path.Combine(folder.Path, "bad.json");
        File.WriteAllText(badJson, "{ \"embed_dim\": ");
        string badVocab = Path.Combine(folder.Path, "vocab.txt");
        File.WriteAllText(badVocab, "just some text\n");
        string missing = Path.Combine(folder.Path, "missing.safetensors");

        var cases = new (string Weights, string Config, string Vocab, string[] Expected)[]
        {
            (missing, config, vocab, ["--clip: the file", missing, "does not exist"]),
            (weights, config, Path.Combine(folder.Path, "nope.txt.gz"), ["--vocab: the file", "nope.txt.gz", "does not exist"]),
            (weights, Path.Combine(folder.Path, "nope.json"), vocab, ["--clip-config: the file", "nope.json", "does not exist"]),
            (weights, "ViT-Q-99", vocab, ["--clip-config: 'ViT-Q-99' is neither a config JSON file nor a known architecture", "ViT-B-32"]),
            (weights, badJson, vocab, ["--clip-config", badJson, "is not a CLIP config"]),
            (weights, config, badVocab, ["--vocab", badVocab, "is not OpenAI's BPE vocabulary"]),
            (tinyVit, config, vocab, ["--clip", tinyVit, "cannot be loaded as the model of --clip-config", config]),
        };
        foreach (var (w, c, v, expected) in cases)
        {
            var (exitCode, error, _) = Run(output, w, c, v);
            exitCode.Should().Be(2, string.Join(" ", expected));
            foreach (string part in expected) error.Should().Contain(part);
        }
        Directory.Exists(output).Should().BeFalse();
    }

    [SkippableFact]
    public void Both_clip_stages_fine_tune_the_given_weights_and_the_record_pins_the_checkpoint()
    {
        string vocab = SharedFixtures.Clip("bpe_simple_vocab_16e6.txt.gz");
        using var folder = new TemporaryFolder();
        var (config, weights) = RandomClipFiles.Write(folder.Path, seed: 1);
        string output = Path.Combine(folder.Path, "out");
        string fold = Path.Combine(output, "sketch", "seed-0");

        var (exitCode, error, outcome) = Run(output, weights, config, vocab);

        error.Should().BeEmpty();
        exitCode.Should().Be(0);
        outcome.Runs.Single().Results.Keys.Should().HaveCount(7);
        using (var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(fold, "settings.json"))))
        {
            var settings = record.RootElement.GetProperty("Settings");
            settings.GetProperty("ImageSize").GetInt32().Should().Be(RandomClipFiles.ImageSize, "the data and UNet take the model's image size");
            settings.GetProperty("ClipLearningRate").GetDouble().Should().Be(1e-5);
            var clip = settings.GetProperty("Clip");
            clip.GetProperty("Weights").GetString().Should().Be(Path.GetFullPath(weights));
            clip.GetProperty("WeightsSha256").GetString().Should().Be(Sha256(weights));
            clip.GetProperty("ConfigSha256").GetString().Should().Be(Sha256(config));
            clip.GetProperty("VocabSha256").GetString().Should().Be(Sha256(vocab));
        }

        // Fine-tuned, not trained from scratch: a few steps at 1e-5 move every weight a little from the given ones
        // (a fresh random initialisation would differ by the weights' own scale).
        var given = SafeTensors.Load(weights);
        foreach (string stage in new[] { "3-clip", "4-edsam" })
        {
            var tuned = SafeTensors.Load(Path.Combine(fold, stage, "clip.safetensors"));
            tuned.Keys.Should().BeEquivalentTo(given.Keys, stage);
            double largest;
            using (TorchSharp.torch.NewDisposeScope()) largest = given.Keys.Max(k => (tuned[k] - given[k]).abs().max().item<float>());
            largest.Should().BeGreaterThan(0, $"{stage} trained").And.BeLessThan(1e-3, $"{stage} started from the given weights");
            foreach (var t in tuned.Values) t.Dispose();
            StageResult.TryLoad(Path.Combine(fold, stage))!.Note.Should().Contain("fine-tuned from weights.safetensors");
        }
        foreach (var t in given.Values) t.Dispose();
        File.ReadAllText(Path.Combine(output, "report", "results.md")).Should().Contain("CLIP fine-tuned from `weights.safetensors`");

        // The same files resume; other weights under the same name are refused.
        var (again, _, resumed) = Run(output, weights, config, vocab);
        again.Should().Be(0);
        resumed.Runs.Single().Resumed.Should().HaveCount(7);

        RandomClipFiles.Write(folder.Path, seed: 2);
        var (refused, conflict, _) = Run(output, weights, config, vocab);
        refused.Should().Be(2);
        conflict.Should().Contain("settings.json").And.Contain("other settings");
    }
}
