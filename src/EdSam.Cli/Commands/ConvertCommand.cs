using System.CommandLine;
using EdSam.Clip;
using EdSam.IO;
using static TorchSharp.torch;

namespace EdSam.Cli.Commands;

/// <summary><c>edsam convert</c>: rewrites a CLIP safetensors checkpoint between Hugging Face and OpenAI/OpenCLIP
/// key names, optionally casting floating-point tensors to fp32 or fp16.</summary>
internal static class ConvertCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var command = new Command("convert", "Convert a CLIP .safetensors checkpoint between Hugging Face and OpenAI/OpenCLIP key names (and fp32/fp16).");
        var input = new Option<string>("--in", "-i") { Description = "Input .safetensors checkpoint (either layout), or a sharded checkpoint's model.safetensors.index.json (merged into one file).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output .safetensors file (written atomically).", Required = true };
        var to = new Option<string>("--to") { Description = "Target key layout: openai (also OpenCLIP's) or hf (transformers' CLIPModel).", Required = true };
        to.AcceptOnlyFromAmong("openai", "hf");
        var dtype = new Option<string>("--dtype")
        {
            Description = "Cast floating-point tensors: fp32, fp16, or keep (integer tensors are never cast).",
            DefaultValueFactory = _ => "keep",
        };
        dtype.AcceptOnlyFromAmong("keep", "fp32", "fp16");
        command.Add(input);
        command.Add(output);
        command.Add(to);
        command.Add(dtype);

        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
        {
            string inPath = parse.GetRequiredValue(input), outPath = parse.GetRequiredValue(output);
            string target = parse.GetRequiredValue(to);
            ScalarType? cast = parse.GetValue(dtype) switch { "fp32" => ScalarType.Float32, "fp16" => ScalarType.Float16, _ => null };
            ModelArguments.RequireFile(inPath, "--in");
            if (Path.GetFullPath(inPath) == Path.GetFullPath(outPath))
                throw new CliUsageException("--out must differ from --in (the input is read while the output is written).");

            // A sharded checkpoint (its model.safetensors.index.json) is merged into one file; its metadata is the
            // index's bookkeeping (total_size), not something to carry over.
            var metadata = SafeTensorsIndex.IsIndexPath(inPath)
                ? new Dictionary<string, string>()
                : SafeTensors.ReadMetadata(inPath).ToDictionary(kv => kv.Key, kv => kv.Value);
            var stateDict = ClipCheckpointLoader.ReadStateDict(inPath);
            cancellationToken.ThrowIfCancellationRequested();
            bool wasHf = ClipCheckpointLoader.IsHuggingFaceLayout(stateDict);
            Dictionary<string, Tensor> converted = stateDict;
            try
            {
                converted = target == "hf" ? ClipCheckpointLoader.ToHuggingFaceLayout(stateDict) : ClipCheckpointLoader.ConvertLayout(stateDict);
                if (cast is { } type)
                {
                    foreach (string key in converted.Keys.ToArray())
                    {
                        var tensor = converted[key];
                        if (!tensor.is_floating_point() || tensor.dtype == type) continue;
                        converted[key] = tensor.to(type);
                        tensor.Dispose();
                    }
                }
                metadata.TryAdd("format", "pt");
                SafeTensors.Save(outPath, converted, metadata);
            }
            finally
            {
                foreach (var tensor in converted.Values) tensor.Dispose();
                if (!ReferenceEquals(converted, stateDict)) foreach (var tensor in stateDict.Values) tensor.Dispose();
            }

            string from = wasHf ? "hf" : "openai";
            console.Out.WriteLine($"wrote {converted.Count} tensors ({from} -> {target}{(cast is null ? "" : ", " + parse.GetValue(dtype))}) to {outPath}");
            return ExitCodes.Success;
        });
        return command;
    }
}
