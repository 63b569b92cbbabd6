using System.CommandLine;
using EdSam.Clip;

namespace EdSam.Cli;

/// <summary>
/// The <c>--model</c>, <c>--weights</c> and <c>--tokenizer</c> options and how they resolve to a loaded CLIP:
/// <list type="bullet">
/// <item><c>--model &lt;folder|hub repo id&gt;</c>: OpenCLIP or Hugging Face layout, tokenizer files found beside the weights;</item>
/// <item><c>--model &lt;config.json|architecture name&gt; --weights &lt;file.safetensors&gt;</c>: an explicit pair
/// (tokenizer from <c>--tokenizer</c>, or a <c>bpe*.txt.gz</c>/<c>vocab.json</c>+<c>merges.txt</c> beside the config or weights).</item>
/// </list>
/// </summary>
internal sealed class ModelArguments
{
    /// <summary>Creates the options and adds them to <paramref name="command"/>.</summary>
    /// <param name="command">The command that takes a CLIP model.</param>
    /// <param name="required">Whether <c>--model</c> must be given.</param>
    /// <param name="description">The <c>--model</c> help text, when the default does not fit the command.</param>
    public ModelArguments(Command command, bool required = true, string? description = null)
    {
        Model.Required = required;
        if (description is not null) Model.Description = description;
        command.Add(Model);
        command.Add(Weights);
        command.Add(Tokenizer);
    }

    /// <summary><c>--model</c> (required).</summary>
    public Option<string> Model { get; } = new("--model", "-m")
    {
        Description = "A model folder or hub repo id (OpenCLIP or Hugging Face layout), or a config JSON / architecture name (ViT-B-32…) with --weights.",
        Required = true,
    };

    /// <summary><c>--weights</c>: safetensors weights for a config given as <c>--model</c>.</summary>
    public Option<string?> Weights { get; } = new("--weights")
    {
        Description = "Weights (.safetensors, OpenAI/OpenCLIP or Hugging Face keys) when --model is a config JSON or an architecture name.",
    };

    /// <summary><c>--tokenizer</c>: the OpenAI BPE file or a Hugging Face <c>vocab.json</c> (with <c>merges.txt</c> beside it).</summary>
    public Option<string?> Tokenizer { get; } = new("--tokenizer")
    {
        Description = "Tokenizer: bpe_simple_vocab_16e6.txt.gz, or vocab.json with merges.txt beside it (default: found next to the model).",
    };

    /// <summary>True when <c>--model</c> was given.</summary>
    public bool IsGiven(ParseResult parse) => parse.GetValue(Model) is not null;

    /// <summary>Loads the model named by the parsed options.</summary>
    /// <exception cref="FileNotFoundException">A named file does not exist (the message names the option and path).</exception>
    public LoadedClip Load(ParseResult parse, CancellationToken cancellationToken)
    {
        string model = parse.GetRequiredValue(Model);
        string? weights = parse.GetValue(Weights);
        string? tokenizer = parse.GetValue(Tokenizer);
        if (tokenizer is not null) RequireFile(tokenizer, "--tokenizer");

        if (weights is not null)
        {
            RequireFile(weights, "--weights");
            ClipConfig config;
            string? besideConfig = null;
            if (Directory.Exists(model))
                throw new CliUsageException($"--weights goes with a config JSON or an architecture name; '{model}' is a model folder, which holds its own weights (drop --weights).");
            if (File.Exists(model))
            {
                config = ClipConfig.Load(model);
                besideConfig = Path.GetDirectoryName(Path.GetFullPath(model));
            }
            else if (ClipConfig.ListNames().Contains(model, StringComparer.OrdinalIgnoreCase))
            {
                config = ClipConfig.Named(model);
            }
            else if (model.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || Path.IsPathRooted(model) || model.Contains(Path.DirectorySeparatorChar))
            {
                throw new FileNotFoundException($"--model: the config file '{model}' does not exist.", model);
            }
            else
            {
                throw new CliUsageException($"--model: '{model}' is neither a config JSON file nor a known architecture ({string.Join(", ", ClipConfig.ListNames())}).");
            }

            cancellationToken.ThrowIfCancellationRequested();
            var clip = ClipModel.FromPretrained(config, weights);
            clip.eval();
            string? tokenizerPath = tokenizer ?? FindTokenizer(besideConfig) ?? FindTokenizer(Path.GetDirectoryName(Path.GetFullPath(weights)));
            return new LoadedClip(clip, model, new ImagePreprocessor(ImagePreprocessorOptions.Clip(config.Vision.ImageSize)),
                tokenizerPath is null ? null : () => LoadTokenizer(tokenizerPath), tokenizerPath);
        }

        ClipPretrainedFiles files = ClipPretrained.Resolve(model, cancellationToken: cancellationToken);
        ClipConfig resolvedConfig = files.ReadConfig();
        var loaded = ClipModel.FromPretrained(resolvedConfig, files.WeightsPath);
        loaded.eval();
        Func<ClipTokenizer>? loadTokenizer = tokenizer is not null ? () => LoadTokenizer(tokenizer)
            : files.HasTokenizer ? files.LoadTokenizer : null;
        string? source = tokenizer ?? files.BpeGzPath ?? files.VocabPath;
        return new LoadedClip(loaded, model, new ImagePreprocessor(files.ReadPreprocessorOptions(resolvedConfig)), loadTokenizer, source);
    }

    /// <summary>Throws <see cref="FileNotFoundException"/> naming the option when <paramref name="path"/> is not a file.</summary>
    public static void RequireFile(string path, string option)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{option}: the file '{path}' does not exist.", path);
    }

    private static string? FindTokenizer(string? folder)
    {
        if (folder is null || !Directory.Exists(folder)) return null;
        string bpe = Path.Combine(folder, "bpe_simple_vocab_16e6.txt.gz");
        if (File.Exists(bpe)) return bpe;
        string? anyBpe = Directory.EnumerateFiles(folder, "bpe*.txt.gz").Order(StringComparer.Ordinal).FirstOrDefault();
        if (anyBpe is not null) return anyBpe;
        string vocab = Path.Combine(folder, "vocab.json");
        return File.Exists(vocab) && File.Exists(Path.Combine(folder, "merges.txt")) ? vocab : null;
    }

    private static ClipTokenizer LoadTokenizer(string path)
    {
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            string merges = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "merges.txt");
            RequireFile(merges, "--tokenizer (merges.txt beside vocab.json)");
            return ClipTokenizer.FromVocabAndMerges(path, merges);
        }
        return ClipTokenizer.FromBpeFile(path);
    }
}
