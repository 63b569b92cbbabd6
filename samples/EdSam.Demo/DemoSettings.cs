namespace EdSam.Demo;

/// <summary>Sizes and step counts of one preset (<c>--quick</c>, default, <c>--full</c>).</summary>
internal sealed record DemoSettings
{
    public required string Preset { get; init; }
    public int ImageSize { get; init; } = 16;
    public int MaxPerDomain { get; init; } = 100;
    public int ClipEpochs { get; init; } = 30;
    public int ClipBatchSize { get; init; } = 32;
    public double ClipLearningRate { get; init; } = 1e-3;
    public int DiffusionSteps { get; init; } = 150;
    public int SamplesPerImage { get; init; } = 2;
    public int SamplingSteps { get; init; } = 4;
    public int EdSamEpochs { get; init; } = 1;
    public double EdSamLearningRate { get; init; } = 2e-4;
    public int DistillSteps { get; init; } = 80;
    public string TestDomain { get; init; } = "sketch";
    public int Seed { get; init; }
    public string OutputFolder { get; init; } = "edsam-demo";

    public static DemoSettings Quick => new() { Preset = "quick" };

    public static DemoSettings Default => new()
    {
        Preset = "default", ImageSize = 32, MaxPerDomain = 300, ClipEpochs = 10, DiffusionSteps = 300, SamplesPerImage = 2,
        SamplingSteps = 5, EdSamEpochs = 1, DistillSteps = 150,
    };

    public static DemoSettings Full => new()
    {
        Preset = "full", ImageSize = 32, MaxPerDomain = 2000, ClipEpochs = 30, DiffusionSteps = 5000, SamplesPerImage = 10,
        SamplingSteps = 10, EdSamEpochs = 5, DistillSteps = 1500,
    };

    /// <summary>Parses <c>--quick | --full</c>, <c>--test-domain NAME</c>, <c>--seed N</c>, <c>--out FOLDER</c>.</summary>
    public static DemoSettings Parse(string[] args)
    {
        var settings = args.Contains("--quick") ? Quick : args.Contains("--full") ? Full : Default;
        for (int i = 0; i < args.Length; i++)
        {
            string? Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--quick" or "--full": break;
                case "--test-domain": settings = settings with { TestDomain = Value()! }; break;
                case "--seed": settings = settings with { Seed = int.Parse(Value()!, System.Globalization.CultureInfo.InvariantCulture) }; break;
                case "--out": settings = settings with { OutputFolder = Value()! }; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'. Usage: EdSam.Demo [--quick|--full] [--test-domain sketch] [--seed 0] [--out edsam-demo]");
            }
        }
        return settings;
    }
}
