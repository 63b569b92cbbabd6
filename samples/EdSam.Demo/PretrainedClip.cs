using System.Security.Cryptography;
using EdSam.Clip;
using EdSam.Diffusion;
using static TorchSharp.torch;

namespace EdSam.Demo;

/// <summary>
/// A given CLIP checkpoint, checked before any fold starts: its architecture (a zoo name or config JSON, read by the
/// library's <see cref="ClipConfig"/>), its weights (loaded once by <see cref="ClipModel.FromPretrained(ClipConfig, string, ClipLoadOptions?)"/>
/// to prove they fit the architecture) and OpenAI's BPE tokenizer (<see cref="ClipTokenizer"/>), whose ids must fit
/// the model's text embedding table. Both CLIP stages of every fold start from these same weights.
/// </summary>
internal sealed class PretrainedClip
{
    private PretrainedClip(GivenClip record, ClipConfig config, ClipTokenizer tokenizer)
    {
        Record = record;
        Config = config;
        Tokenizer = tokenizer;
    }

    /// <summary>What was given, with full paths and SHA-256 hashes: the part of the fold's settings it determines.</summary>
    public GivenClip Record { get; }

    /// <summary>The architecture.</summary>
    public ClipConfig Config { get; }

    /// <summary>OpenAI's BPE tokenizer.</summary>
    public ClipTokenizer Tokenizer { get; }

    /// <summary>Captions → int64 [N, context length of the model].</summary>
    public Tensor Tokenize(IReadOnlyList<string> texts) => Tokenizer.Tokenize(texts, Config.Text.ContextLength);

    /// <summary>A fresh copy of the given weights (eval mode; the trainers switch modes themselves).</summary>
    public ClipModel Load() => ClipModel.FromPretrained(Config, Record.Weights);

    /// <summary>The settings of a run that fine-tunes this model: the data and the UNet take the model's image size,
    /// and the CLIP stages use the library's fine-tuning learning rate (<see cref="EdSamOptions.LearningRate"/>, 1e-5)
    /// instead of the from-scratch one.</summary>
    public DemoSettings Apply(DemoSettings settings) => settings with
    {
        ImageSize = Config.Vision.ImageSize, ClipLearningRate = new EdSamOptions().LearningRate, Clip = Record,
    };

    /// <summary>Checks and opens the given files.</summary>
    /// <exception cref="ArgumentException">A file is missing or unreadable, the config is not a CLIP config, the
    /// weights do not fit it, or the tokenizer's ids exceed the model's <c>vocab_size</c>; the message names the
    /// option and the file.</exception>
    public static PretrainedClip Open(GivenClip given)
    {
        string weights = RequireFile(given.Weights, "--clip");
        string vocab = RequireFile(given.Vocab, "--vocab");
        var (config, configPath) = ReadConfig(given.Config);
        if (config.Vision.ImageSize % 4 != 0)
            throw new ArgumentException($"--clip-config '{given.Config}': image_size {config.Vision.ImageSize} is not a multiple of 4, which the demo's diffusion UNet needs.");

        ClipTokenizer tokenizer;
        try { tokenizer = ClipTokenizer.FromBpeFile(vocab); }
        catch (Exception e) when (e is FormatException or IOException or InvalidDataException)
        {
            throw new ArgumentException($"--vocab '{vocab}' is not OpenAI's BPE vocabulary (bpe_simple_vocab_16e6.txt.gz): {e.Message}", e);
        }
        // Every tokenized caption holds start- and end-of-text, the tokenizer's largest ids: if they fit, all ids fit.
        int largestId = Math.Max(tokenizer.StartOfTextId, tokenizer.EndOfTextId);
        if (largestId >= config.Text.VocabSize)
            throw new ArgumentException(
                $"--vocab '{vocab}' does not match --clip-config '{given.Config}': the tokenizer's ids reach {largestId} (its end-of-text token), " +
                $"but the model's text tower has vocab_size {config.Text.VocabSize} (text_cfg.vocab_size). Give the vocabulary the model was trained with, " +
                "or a config whose vocab_size covers it.");

        try { ClipModel.FromPretrained(config, weights).Dispose(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ArgumentException($"--clip '{weights}' cannot be loaded as the model of --clip-config '{given.Config}': {e.Message}", e);
        }

        var record = new GivenClip
        {
            Weights = weights, Config = configPath ?? given.Config, Vocab = vocab,
            WeightsSha256 = Sha256(weights), ConfigSha256 = configPath is null ? null : Sha256(configPath), VocabSha256 = Sha256(vocab),
        };
        return new PretrainedClip(record, config, tokenizer);
    }

    private static (ClipConfig Config, string? Path) ReadConfig(string config)
    {
        if (File.Exists(config))
        {
            try { return (ClipConfig.Load(config), Path.GetFullPath(config)); }
            catch (Exception e) when (e is FormatException or IOException or System.Text.Json.JsonException)
            {
                throw new ArgumentException($"--clip-config '{config}' is not a CLIP config (open_clip or Hugging Face JSON): {e.Message}", e);
            }
        }
        if (ClipConfig.ListNames().Contains(config, StringComparer.OrdinalIgnoreCase)) return (ClipConfig.Named(config), null);
        if (config.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || config.Contains('/') || config.Contains(Path.DirectorySeparatorChar))
            throw new ArgumentException($"--clip-config: the file '{config}' does not exist.");
        throw new ArgumentException($"--clip-config: '{config}' is neither a config JSON file nor a known architecture ({string.Join(", ", ClipConfig.ListNames())}).");
    }

    private static string RequireFile(string path, string option) =>
        File.Exists(path) ? Path.GetFullPath(path) : throw new ArgumentException($"{option}: the file '{path}' does not exist.");

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
