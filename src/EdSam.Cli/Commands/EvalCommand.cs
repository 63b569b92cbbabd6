using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdSam.Clip;
using EdSam.Data;
using static TorchSharp.torch;

namespace EdSam.Cli.Commands;

/// <summary><c>edsam eval</c>: zero-shot accuracy of a CLIP model on each domain of a labelled data set.</summary>
internal static class EvalCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var command = new Command("eval", "Zero-shot accuracy per domain on a DomainBed folder, a labelled CSV/TSV table or fashion-mnist-dg.");
        var model = new ModelArguments(command);
        var data = CommonOptions.DomainData("A DomainBed folder (root/domain/class/*.jpg), a CSV/TSV table with label and domain columns, or fashion-mnist-dg.");
        var domains = new Option<string[]>("--domain")
        {
            Description = "Evaluate only this domain (repeatable); all domains by default.",
        };
        var templates = CommonOptions.Templates(ZeroShotCommand.DefaultTemplate);
        var batchSize = CommonOptions.PositiveInt("--batch-size", 64, "Images per forward pass.");
        var limit = new Option<int?>("--max-per-domain") { Description = "Evaluate at most this many examples of each domain (the first ones, in the data set's order)." };
        var json = CommonOptions.Json();
        command.Add(data);
        command.Add(domains);
        command.Add(templates);
        command.Add(batchSize);
        command.Add(limit);
        command.Add(json);

        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
        {
            string dataArgument = parse.GetRequiredValue(data);
            if (parse.GetValue(limit) is < 1) throw new CliUsageException("--max-per-domain must be at least 1.");
            IDomainDataset dataset = DataInputs.Domains(dataArgument);
            string[] selected = parse.GetValue(domains) is { Length: > 0 } chosen ? chosen : dataset.Domains.ToArray();
            foreach (string domain in selected) DataInputs.RequireDomain(dataset, domain, "--domain");

            using var clip = model.Load(parse, cancellationToken);
            using var classifier = new ZeroShotClassifier(clip.Model, clip.Tokenize, dataset.ClassNames,
                parse.GetValue(templates) ?? [ZeroShotCommand.DefaultTemplate], clip.Preprocessor);
            var rows = new List<DomainAccuracy>();
            using (inference_mode())
            {
                foreach (string domain in selected)
                {
                    IEnumerable<Example> examples = dataset.GetExamples(domain);
                    if (parse.GetValue(limit) is { } max) examples = examples.Take(max);
                    long correct = 0, total = 0;
                    foreach (var (batch, pixels) in ImageBatches.Of(examples, clip.Preprocessor, parse.GetValue(batchSize), cancellationToken))
                    {
                        using var scope = NewDisposeScope();
                        using var _ = pixels;
                        long[] predicted = classifier.Predict(pixels).data<long>().ToArray();
                        for (int i = 0; i < batch.Count; i++)
                            if (predicted[i] == batch[i].Label) correct++;
                        total += batch.Count;
                        console.Error.Write($"\r{domain}: {total} examples");
                    }
                    console.Error.WriteLine();
                    rows.Add(new DomainAccuracy(domain, total, correct, total == 0 ? 0 : (double)correct / total));
                }
            }

            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(new { model = clip.ModelId, data = dataset.Name, domains = rows, mean = rows.Average(r => r.Accuracy) }, CliJson.Options));
            }
            else
            {
                var table = new TextTable("domain", "examples", "correct", "accuracy");
                foreach (var row in rows)
                    table.AddRow(row.Domain, row.Examples.ToString(CultureInfo.InvariantCulture), row.Correct.ToString(CultureInfo.InvariantCulture), Percent(row.Accuracy));
                table.AddRow("mean", rows.Sum(r => r.Examples).ToString(CultureInfo.InvariantCulture), rows.Sum(r => r.Correct).ToString(CultureInfo.InvariantCulture),
                    Percent(rows.Average(r => r.Accuracy)));
                console.Out.WriteLine($"Zero-shot accuracy of {clip.ModelId} on {dataset.Name} ({dataset.ClassNames.Count} classes)");
                table.Write(console.Out);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Percent(double value) => (100 * value).ToString("F2", CultureInfo.InvariantCulture) + "%";

    /// <summary>One domain's result; <see cref="Accuracy"/> is a fraction in [0, 1].</summary>
    public sealed record DomainAccuracy(string Domain, long Examples, long Correct, double Accuracy);
}
