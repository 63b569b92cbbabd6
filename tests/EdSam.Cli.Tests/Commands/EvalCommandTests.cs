using System.Text.Json;
using EdSam.Cli.Tests.TestSupport;
using EdSam.Clip;
using EdSam.Data.FashionMnist;

namespace EdSam.Cli.Tests.Commands;

public sealed class EvalCommandTests
{
    [SkippableFact]
    public void Per_domain_accuracy_equals_the_library_classifier_s()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        string data = temp.File("data");
        string[] domains = ["art", "photo"];
        string[] classes = ["blue", "red"];
        var files = new List<(string Domain, int Label, string Path)>();
        for (int d = 0; d < domains.Length; d++)
            for (int c = 0; c < classes.Length; c++)
                for (int i = 0; i < 2; i++)
                {
                    string path = Path.Combine(data, domains[d], classes[c], $"{i}.png");
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    if (d == 0) TestModels.WriteGradientPng(path, channel: c == 0 ? 2 : 0, width: 30 + i);
                    else TestModels.WriteSolidPng(path, c, 0.2f * i, 1 - c);
                    files.Add((domains[d], c, path));
                }

        var result = CliRun.Invoke("eval", "--model", modelFolder, "--data", data, "--json");

        result.ExitCode.Should().Be(0, result.Error);
        var report = JsonSerializer.Deserialize<JsonElement>(result.Out);
        var rows = report.GetProperty("domains").EnumerateArray().ToArray();
        rows.Select(r => r.GetProperty("domain").GetString()).Should().Equal(domains);

        using var model = TestModels.LoadFullVocabModel(modelFolder);
        using var classifier = new ZeroShotClassifier(model, ClipTokenizer.FromBpeFile(Path.Combine(modelFolder, "bpe_simple_vocab_16e6.txt.gz")), classes, ["a photo of a {}."]);
        for (int d = 0; d < domains.Length; d++)
        {
            var ofDomain = files.Where(f => f.Domain == domains[d]).ToArray();
            var predicted = classifier.Predict(ofDomain.Select(f => f.Path));
            int correct = ofDomain.Where((f, i) => predicted[i] == classes[f.Label]).Count();
            rows[d].GetProperty("examples").GetInt64().Should().Be(4);
            rows[d].GetProperty("correct").GetInt64().Should().Be(correct);
            rows[d].GetProperty("accuracy").GetDouble().Should().BeApproximately(correct / 4.0, 1e-12);
        }
    }

    [SkippableFact]
    public void The_table_names_each_selected_domain_and_an_unknown_domain_is_a_usage_error()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        foreach (string domain in new[] { "d1", "d2" })
            foreach (string cls in new[] { "x", "y" })
                TestModels.WriteSolidPng(Path.Combine(temp.File("data"), domain, cls, "0.png"), 0.5f, 0.5f, cls == "x" ? 0 : 1);

        var table = CliRun.Invoke("eval", "--model", modelFolder, "--data", temp.File("data"), "--domain", "d2");
        var unknown = CliRun.Invoke("eval", "--model", modelFolder, "--data", temp.File("data"), "--domain", "d9");

        table.ExitCode.Should().Be(0, table.Error);
        string[] lines = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().Contain(l => l.StartsWith("domain ", StringComparison.Ordinal) && l.EndsWith("accuracy", StringComparison.Ordinal));
        lines.Should().ContainSingle(l => l.StartsWith("d2 ", StringComparison.Ordinal)).Which.Should().MatchRegex(@"^d2\s+2\s+[0-2]\s+(0|50|100)\.00%$");
        lines.Should().NotContain(l => l.StartsWith("d1", StringComparison.Ordinal));
        unknown.ExitCode.Should().Be(2);
        unknown.Error.Should().Contain("d9").And.Contain("d1, d2");
    }

    [SkippableFact]
    public void The_built_in_benchmark_is_named_by_its_literal()
    {
        string modelFolder = TestModels.FullVocabModelFolder();

        var result = CliRun.Invoke("eval", "--model", modelFolder, "--data", "fashion-mnist-dg", "--max-per-domain", "3", "--json");

        result.ExitCode.Should().Be(0, result.Error);
        var rows = JsonSerializer.Deserialize<JsonElement>(result.Out).GetProperty("domains").EnumerateArray().ToArray();
        rows.Select(r => r.GetProperty("domain").GetString()).Should().Equal(FashionMnistDg.Load().Domains);
        rows.Should().AllSatisfy(r => r.GetProperty("examples").GetInt64().Should().Be(3));
    }
}
