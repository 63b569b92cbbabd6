using System.Globalization;
using System.Text.Json.Serialization;
using EdSam.Data.FashionMnist;

namespace EdSam.Demo;

/// <summary>
/// Sizes and step counts of one preset (<c>--quick</c>, default, <c>--full</c>) and which folds to run. A fold is one
/// held-out domain with one seed; <c>--full</c> runs the default fold settings over every domain and three seeds, so
/// the default run is exactly one cell (sketch, seed 0) of the full table.
/// </summary>
internal sealed record DemoSettings
{
    public required string Preset { get; init; }
    public int ImageSize { get; init; } = 16;
    public int MaxPerDomain { get; init; } = 100;
    public int ClipEpochs { get; init; } = 20;
    public int ClipBatchSize { get; init; } = 32;
    public double ClipLearningRate { get; init; } = 1e-3;
    public int DiffusionSteps { get; init; } = 120;
    public double DiffusionEmaDecay { get; init; } = 0.99;
    public int SamplesPerImage { get; init; } = 2;
    public int SamplingSteps { get; init; } = 4;
    public double AdversarialWeight { get; init; } = 1.0;
    public int StudentSteps { get; init; } = 60;

    /// <summary>Held-out domains to run, one fold each.</summary>
    [JsonIgnore] public IReadOnlyList<string> TestDomains { get; init; } = ["sketch"];

    /// <summary>Seeds to run for every held-out domain.</summary>
    [JsonIgnore] public IReadOnlyList<int> Seeds { get; init; } = [0];

    /// <summary>Torch intra-op threads (default: all cores). Two processes with one thread each finish a multi-fold run sooner.</summary>
    [JsonIgnore] public int Threads { get; init; } = Environment.ProcessorCount;

    [JsonIgnore] public string OutputFolder { get; init; } = "edsam-demo";

    /// <summary>
    /// Given CLIP weights the two CLIP stages fine-tune (<c>--clip</c>, <c>--clip-config</c>, <c>--vocab</c>); null trains
    /// the tiny word-level CLIP from scratch. Written to <c>settings.json</c> only when given, so the default runs'
    /// records are unchanged.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public GivenClip? Clip { get; init; }

    public static DemoSettings Quick => new() { Preset = "quick" };

    public static DemoSettings Default => new()
    {
        Preset = "default", ImageSize = 24, MaxPerDomain = 300, ClipEpochs = 12, DiffusionSteps = 250, SamplesPerImage = 2,
        SamplingSteps = 5, StudentSteps = 150,
    };

    /// <summary>
    /// Test-only: the smallest run that still goes through every stage (8 px, 8 images per domain, one or two steps
    /// everywhere but the UNet's 10, its warm-up) — seconds on one thread. Not reachable from the command line; its
    /// numbers mean nothing.
    /// </summary>
    internal static DemoSettings Smoke => new()
    {
        Preset = "smoke", ImageSize = 8, MaxPerDomain = 8, ClipEpochs = 1, ClipBatchSize = 16, DiffusionSteps = 10, SamplesPerImage = 1,
        SamplingSteps = 1, StudentSteps = 1, Threads = 1,
    };

    /// <summary>The default fold settings over every domain and seeds 0, 1, 2: the numbers in docs/results.md.</summary>
    public static DemoSettings Full => Default with
    {
        Preset = "full", TestDomains = FashionMnistDomains.All.Select(d => d.Name()).ToArray(), Seeds = [0, 1, 2],
    };

    public const string Usage =
        "Usage: EdSam.Demo [--quick|--full] [--test-domain sketch | --test-domains a,b | --all-domains] [--seed 0 | --seeds 0,1,2] [--threads N] [--out edsam-demo]" +
        " [--clip weights.safetensors --clip-config <ViT-B-32 | config.json> --vocab bpe_simple_vocab_16e6.txt.gz]";

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public static DemoSettings Parse(string[] args)
    {
        var settings = args.Contains("--quick") ? Quick : args.Contains("--full") ? Full : Default;
        var known = FashionMnistDomains.All.Select(d => d.Name()).ToArray();
        string? clipWeights = null, clipConfig = null, vocab = null;
        for (int i = 0; i < args.Length; i++)
        {
            string option = args[i];
            string Value() => i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i] : throw new ArgumentException($"{option} needs a value. {Usage}");
            string[] Domains(string list)
            {
                var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                foreach (var name in names)
                    if (!known.Contains(name)) throw new ArgumentException($"{option}: unknown domain '{name}'; the domains are {string.Join(", ", known)}.");
                return names.Length > 0 ? names : throw new ArgumentException($"{option} needs at least one domain.");
            }
            int Integer(string text, int min) =>
                int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min
                    ? n : throw new ArgumentException($"{option}: '{text}' is not an integer ≥ {min}.");
            switch (option)
            {
                case "--quick" or "--full": break;
                case "--test-domain" or "--test-domains": settings = settings with { TestDomains = Domains(Value()) }; break;
                case "--all-domains": settings = settings with { TestDomains = known }; break;
                case "--seed" or "--seeds":
                    settings = settings with { Seeds = Value().Split(',', StringSplitOptions.TrimEntries).Select(s => Integer(s, 0)).Distinct().ToArray() };
                    break;
                case "--threads": settings = settings with { Threads = Integer(Value(), 1) }; break;
                case "--out": settings = settings with { OutputFolder = Value() }; break;
                case "--clip": clipWeights = Value(); break;
                case "--clip-config": clipConfig = Value(); break;
                case "--vocab": vocab = Value(); break;
                default: throw new ArgumentException($"Unknown option '{option}'. {Usage}");
            }
        }
        return settings with { Clip = GivenClip.FromOptions(clipWeights, clipConfig, vocab) };
    }

    /// <summary>Every (held-out domain, seed) pair to run, seeds outermost so a partial run already covers every domain.</summary>
    public IEnumerable<(string Domain, int Seed)> Folds() =>
        from seed in Seeds from domain in TestDomains select (domain, seed);

    /// <summary>The folder of one fold's stages.</summary>
    public string FoldFolder(string domain, int seed) => Path.Combine(OutputFolder, domain, $"seed-{seed}");
}
