using System.Text.Json;
using EdSam.Cli.Tests.TestSupport;
using EdSam.Clip;
using EdSam.Tests.TestSupport;

namespace EdSam.Cli.Tests.Commands;

public sealed class ZeroShotCommandTests
{
    [SkippableFact]
    public void The_tiny_fixture_with_the_real_bpe_fails_with_a_vocabulary_mismatch_message()
    {
        using var temp = new TempFolder();
        string image = TestModels.WriteSolidPng(temp.File("red.png"), 1, 0, 0);

        var result = CliRun.Invoke("zero-shot",
            "--model", SharedFixtures.Clip("tiny-vit.config.json"), "--weights", SharedFixtures.Clip("tiny-vit.safetensors"),
            "--tokenizer", SharedFixtures.Clip("bpe_simple_vocab_16e6.txt.gz"), "--labels", "cat,dog", image);

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("tokenizer").And.Contain("vocab_size 1000").And.Contain("49408");
        result.Error.Should().NotContain("   at ");
        result.Out.Should().BeEmpty();
    }

    [SkippableFact]
    public void The_tokenizer_beside_the_config_is_found_without_the_option()
    {
        // The fixture folder holds bpe_simple_vocab_16e6.txt.gz beside tiny-vit.config.json: it is picked up, and
        // (vocab 49408 vs 1000) refused with the same clear message rather than "no tokenizer".
        using var temp = new TempFolder();
        string image = TestModels.WriteSolidPng(temp.File("red.png"), 1, 0, 0);

        var result = CliRun.Invoke("zero-shot",
            "--model", SharedFixtures.Clip("tiny-vit.config.json"), "--weights", SharedFixtures.Clip("tiny-vit.safetensors"), "--labels", "cat,dog", image);

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("bpe_simple_vocab_16e6.txt.gz").And.Contain("vocab_size 1000");
    }

    [SkippableFact]
    public void Probabilities_match_the_library_classifier_on_a_full_vocabulary_model()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        string[] images =
        [
            TestModels.WriteSolidPng(temp.File("red.png"), 0.9f, 0.1f, 0.1f),
            TestModels.WriteGradientPng(temp.File("blue.png"), channel: 2),
            TestModels.WriteSolidPng(temp.File("green.png"), 0.1f, 0.8f, 0.2f, height: 64, width: 30),
        ];
        string[] labels = ["red square", "blue gradient", "green thing"];

        var result = CliRun.Invoke(["zero-shot", "--model", modelFolder, "--labels", string.Join(",", labels), "--top", "3", "--json", "--batch-size", "2", .. images]);

        result.ExitCode.Should().Be(0, result.Error);
        var predictions = JsonSerializer.Deserialize<JsonElement>(result.Out);
        predictions.GetArrayLength().Should().Be(3);

        // Independent path: the library's classifier on the file paths, one batch, the model loaded by the library.
        using var model = TestModels.LoadFullVocabModel(modelFolder);
        var tokenizer = ClipTokenizer.FromBpeFile(Path.Combine(modelFolder, "bpe_simple_vocab_16e6.txt.gz"));
        using var classifier = new ZeroShotClassifier(model, tokenizer, labels, ["a photo of a {}."]);
        using var expected = classifier.PredictProba(images);
        float[] p = expected.data<float>().ToArray();

        for (int i = 0; i < images.Length; i++)
        {
            var entry = predictions[i];
            entry.GetProperty("image").GetString().Should().Be(images[i]);
            var ranked = entry.GetProperty("predictions").EnumerateArray().ToArray();
            ranked.Should().HaveCount(3);
            ranked.Select(r => r.GetProperty("probability").GetSingle()).Should().BeInDescendingOrder();
            foreach (var r in ranked)
            {
                int label = Array.IndexOf(labels, r.GetProperty("label").GetString());
                label.Should().BeGreaterThanOrEqualTo(0);
                r.GetProperty("probability").GetSingle().Should().BeApproximately(p[i * labels.Length + label], 1e-5f);
            }
        }
    }

    [SkippableFact]
    public void Plain_output_has_one_line_per_image_with_the_top_label()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        Directory.CreateDirectory(temp.File("imgs"));
        TestModels.WriteSolidPng(temp.File("imgs/a.png"), 1, 0, 0);
        TestModels.WriteSolidPng(temp.File("imgs/b.png"), 0, 0, 1);

        var result = CliRun.Invoke("zero-shot", "--model", modelFolder, "--labels", "red,blue", temp.File("imgs"));

        result.ExitCode.Should().Be(0, result.Error);
        string[] lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(2);
        lines[0].Should().StartWith(temp.File("imgs/a.png")).And.MatchRegex(@"\t(red|blue) \(\d+[.,]\d %\)");
        lines[1].Should().StartWith(temp.File("imgs/b.png"));
    }

    [SkippableFact]
    public void Weights_with_a_model_folder_is_a_usage_error_saying_why()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        string image = TestModels.WriteSolidPng(temp.File("a.png"), 1, 0, 0);

        var result = CliRun.Invoke("zero-shot", "--model", modelFolder, "--weights", Path.Combine(modelFolder, ClipPretrained.OpenClipWeightsFile), "--labels", "a,b", image);

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("--weights").And.Contain("model folder");
    }

    [Theory]
    [InlineData(" , ,")]
    [InlineData("cat,dog,cat")]
    public void Empty_or_duplicate_labels_are_usage_errors(string labels)
    {
        var result = CliRun.Invoke("zero-shot", "--model", "m", "--labels", labels, "x.png");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("--labels");
    }
}
