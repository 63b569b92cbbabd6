using System.CommandLine;
using System.Text.Json;
using EdSam.IO;
using static TorchSharp.torch;

namespace EdSam.Cli.Commands;

/// <summary><c>edsam embed</c>: writes L2-normalised CLIP embeddings of images or texts to a safetensors file.</summary>
internal static class EmbedCommand
{
    /// <summary>The tensor key of the embeddings <c>[N, embed_dim]</c> in the output file.</summary>
    public const string EmbeddingsKey = "embeddings";

    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var command = new Command("embed",
            "Write L2-normalised CLIP embeddings of images or texts to a safetensors file ('embeddings' [N, embed_dim]; keys and model id in its metadata).");
        var model = new ModelArguments(command);
        var images = new Option<string[]>("--images")
        {
            Description = "Image files, folders (recursive), CSV/TSV caption tables, WebDataset shard patterns ({000..099}.tar) or fashion-mnist-dg.",
            AllowMultipleArgumentsPerToken = true,
        };
        var texts = new Option<string?>("--texts") { Description = "A UTF-8 text file with one text per line (blank lines skipped)." };
        var output = new Option<string>("--out", "-o") { Description = "Output .safetensors file (written atomically).", Required = true };
        var batchSize = CommonOptions.PositiveInt("--batch-size", 64, "Images or texts per forward pass.");
        var (shardIndex, shardCount) = CommonOptions.ShardRange();
        images.Validators.Add(CommonOptions.RejectOptionLikeValues);
        command.Add(images);
        command.Add(texts);
        command.Add(output);
        command.Add(batchSize);
        command.Add(shardIndex);
        command.Add(shardCount);

        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
        {
            string[] imageInputs = parse.GetValue(images) ?? [];
            string? textFile = parse.GetValue(texts);
            if ((imageInputs.Length > 0) == (textFile is not null))
                throw new CliUsageException("give exactly one of --images or --texts.");
            int index = parse.GetValue(shardIndex), count = parse.GetValue(shardCount);
            CommonOptions.CheckShardRange(index, count);
            string outPath = parse.GetRequiredValue(output);
            if (textFile is not null) ModelArguments.RequireFile(textFile, "--texts");
            else DataInputs.RequireExisting(imageInputs, "--images");

            using var clip = model.Load(parse, cancellationToken);
            int batch = parse.GetValue(batchSize);
            var keys = new List<string>();
            var parts = new List<Tensor>();
            try
            {
                using (inference_mode())
                {
                    if (textFile is not null)
                    {
                        string[] lines = File.ReadAllLines(textFile).Where(l => l.Trim().Length > 0).ToArray();
                        if (lines.Length == 0) throw new CliInputException($"--texts: '{textFile}' has no non-blank lines.");
                        foreach (var chunk in lines.Chunk(batch))
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            using var scope = NewDisposeScope();
                            var tokens = clip.Tokenize(chunk);
                            parts.Add(scope.MoveToOuter(clip.Model.EmbedTexts(tokens).to(float32).cpu()));
                            keys.AddRange(chunk);
                        }
                    }
                    else
                    {
                        foreach (var (examples, pixels) in ImageBatches.Of(DataInputs.Images(imageInputs, index, count), clip.Preprocessor, batch, cancellationToken))
                        {
                            using var scope = NewDisposeScope();
                            using var _ = pixels;
                            parts.Add(scope.MoveToOuter(clip.Model.EmbedImages(pixels).to(float32).cpu()));
                            keys.AddRange(examples.Select(e => e.Key));
                            console.Error.Write($"\rembedded {keys.Count} images");
                        }
                        if (keys.Count > 0) console.Error.WriteLine();
                    }
                }
                if (keys.Count == 0) throw new CliInputException("--images: no images were found in the inputs.");

                using var embeddings = cat(parts, 0);
                var metadata = new Dictionary<string, string>
                {
                    ["format"] = "pt",
                    ["model"] = clip.ModelId,
                    ["kind"] = textFile is not null ? "text" : "image",
                    ["normalized"] = "true",
                    ["count"] = keys.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["keys"] = JsonSerializer.Serialize(keys),
                };
                if (textFile is null && count > 1) metadata["shards"] = $"{index}/{count}";
                SafeTensors.Save(outPath, new Dictionary<string, Tensor> { [EmbeddingsKey] = embeddings }, metadata);
                console.Out.WriteLine($"wrote {keys.Count} {metadata["kind"]} embeddings [{keys.Count}, {embeddings.shape[1]}] to {outPath}");
                return ExitCodes.Success;
            }
            finally
            {
                foreach (var part in parts) part.Dispose();
            }
        });
        return command;
    }
}
