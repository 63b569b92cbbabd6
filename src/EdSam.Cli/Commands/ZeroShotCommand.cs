using System.CommandLine;
using System.Text.Json;
using EdSam.Clip;
using static TorchSharp.torch;

namespace EdSam.Cli.Commands;

/// <summary><c>edsam zero-shot</c>: classifies images against class names with prompt templates.</summary>
internal static class ZeroShotCommand
{
    /// <summary>The template used when none is given (CLIP's single-prompt default).</summary>
    public const string DefaultTemplate = "a photo of a {}.";

    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var command = new Command("zero-shot", "Classify images by comparing them with the text embeddings of prompts for each label.");
        var model = new ModelArguments(command);
        var labels = new Option<string>("--labels", "-l")
        {
            Description = "Class names, comma-separated (\"cat,dog,bird\"), or a text file with one per line.",
            Required = true,
        };
        var templates = CommonOptions.Templates(DefaultTemplate);
        var top = CommonOptions.PositiveInt("--top", 1, "How many of the most likely labels to print per image.");
        var batchSize = CommonOptions.PositiveInt("--batch-size", 32, "Images per forward pass.");
        var json = CommonOptions.Json();
        var images = new Argument<string[]>("images")
        {
            Description = "Image files or folders (searched recursively), CSV/TSV caption tables, WebDataset shards.",
            Arity = ArgumentArity.OneOrMore,
        };
        images.Validators.Add(CommonOptions.RejectOptionLikeValues);
        command.Add(labels);
        command.Add(templates);
        command.Add(top);
        command.Add(batchSize);
        command.Add(json);
        command.Add(images);

        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
        {
            string[] inputs = parse.GetRequiredValue(images);
            IReadOnlyList<string> classNames = ParseLabels(parse.GetRequiredValue(labels));
            string[] prompts = parse.GetValue(templates) ?? [DefaultTemplate];
            DataInputs.RequireExisting(inputs, "images");

            using var clip = model.Load(parse, cancellationToken);
            using var classifier = new ZeroShotClassifier(clip.Model, clip.Tokenize, classNames, prompts, clip.Preprocessor);
            int k = Math.Min(parse.GetValue(top), classNames.Count);

            var results = new List<ImagePrediction>();
            using (inference_mode())
            {
                foreach (var (examples, pixels) in ImageBatches.Of(DataInputs.Images(inputs), clip.Preprocessor, parse.GetValue(batchSize), cancellationToken))
                {
                    using var scope = NewDisposeScope();
                    using var _ = pixels;
                    var probabilities = classifier.PredictProba(pixels);
                    var (values, indices) = probabilities.topk(k, dim: 1);
                    float[] p = values.data<float>().ToArray();
                    long[] ix = indices.data<long>().ToArray();
                    for (int i = 0; i < examples.Count; i++)
                        results.Add(new ImagePrediction(examples[i].Key,
                            Enumerable.Range(0, k).Select(j => new LabelProbability(classNames[(int)ix[i * k + j]], p[i * k + j])).ToArray()));
                }
            }

            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(results, CliJson.Options));
            }
            else
            {
                foreach (var result in results)
                    console.Out.WriteLine($"{result.Image}\t{string.Join("\t", result.Predictions.Select(x => $"{x.Label} ({x.Probability:P1})"))}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Splits <c>--labels</c>: the lines of a file when the value is an existing file, else comma-separated. Blank entries are dropped.</summary>
    /// <exception cref="CliUsageException">No labels, or a duplicate.</exception>
    public static IReadOnlyList<string> ParseLabels(string value)
    {
        IEnumerable<string> raw;
        if (File.Exists(value))
        {
            raw = File.ReadAllLines(value);
        }
        else
        {
            raw = value.Split(',');
        }
        string[] labels = raw.Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (labels.Length == 0) throw new CliUsageException("--labels: give at least one class name.");
        string? duplicate = labels.GroupBy(l => l, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (duplicate is not null) throw new CliUsageException($"--labels: '{duplicate}' is listed twice.");
        return labels;
    }

    /// <summary>One image's most likely labels.</summary>
    public sealed record ImagePrediction(string Image, IReadOnlyList<LabelProbability> Predictions);

    /// <summary>A label and its softmax probability.</summary>
    public sealed record LabelProbability(string Label, float Probability);
}
