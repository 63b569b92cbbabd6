using EdSam.IO;
using EdSam.Diffusion.Schedulers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Diffusion.Models;

/// <summary>
/// The DDPM/ADM denoising UNet (Ho et al. 2020; Dhariwal &amp; Nichol 2021) with diffusers' <c>UNet2DModel</c> key
/// names: <c>conv_in</c> → encoder levels (<c>down_blocks</c>) → <c>mid_block</c> → decoder levels
/// (<c>up_blocks</c>, each resnet fed the matching encoder skip) → <c>conv_norm_out</c> → SiLU → <c>conv_out</c>.
/// Every residual block receives the sinusoidal time embedding plus, when configured, a learned class embedding
/// (with a null class for classifier-free guidance) and a projection of text features (<c>text_embedding</c>).
/// </summary>
/// <remarks>Keeps the <see cref="SchedulerConfig"/> it is trained with, so <see cref="Save"/>/<see cref="Load"/> round-trip the schedule too.</remarks>
public sealed class UNet2D : Module<Tensor, Tensor, Tensor>, IDenoiser
{
    /// <summary>File name of the architecture in a saved folder.</summary>
    public const string ConfigFileName = "unet.json";

    /// <summary>File name of the weights in a saved folder.</summary>
    public const string WeightsFileName = "unet.safetensors";

    /// <summary>File name of the noise-schedule config in a saved folder.</summary>
    public const string SchedulerFileName = "scheduler.json";

    private readonly Conv2d conv_in;
    private readonly TimestepEmbedding time_embedding;
    private readonly Embedding? class_embedding;
    private readonly Linear? text_embedding;
    private readonly ModuleList<DownBlock2D> down_blocks;
    private readonly MidBlock2D mid_block;
    private readonly ModuleList<UpBlock2D> up_blocks;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;

    /// <summary>Builds a randomly initialised UNet.</summary>
    /// <param name="config">The architecture (validated here).</param>
    /// <param name="scheduler">The noise schedule it will be trained with; null = DDPM defaults (ε-prediction, linear β, T = 1000).</param>
    /// <exception cref="OptionsValidationException">Either config is invalid (every error listed).</exception>
    public UNet2D(UNet2DConfig config, SchedulerConfig? scheduler = null) : base(nameof(UNet2D))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        Scheduler = (scheduler ?? new SchedulerConfig()).Validate();
        SampleShape = [config.InChannels, config.ImageSize, config.ImageSize];

        var settings = new ResnetSettings(config.NormGroups, config.NormEps, config.TimeEmbeddingDim, config.Dropout, config.ResnetTimeScaleShift);
        var attentionLevels = config.AttentionLevels().ToHashSet();
        int HeadsAt(int level) => attentionLevels.Contains(level) ? config.ChannelsAt(level) / config.AttentionHeadDim : 0;
        int levels = config.Levels;

        conv_in = nn.Conv2d(config.InChannels, config.BaseChannels, 3, padding: 1);
        time_embedding = new TimestepEmbedding(config.BaseChannels, config.TimeEmbeddingDim);
        if (config.NumClasses is int classes) class_embedding = nn.Embedding(classes + 1, config.TimeEmbeddingDim);
        if (config.TextEmbeddingDim is int textDim) text_embedding = nn.Linear(textDim, config.TimeEmbeddingDim);

        // Encoder; the channel counts of its skip outputs (conv_in first) are what the decoder concatenates, last first.
        var skipChannels = new List<int> { config.BaseChannels };
        var down = new List<DownBlock2D>();
        int channels = config.BaseChannels;
        for (int level = 0; level < levels; level++)
        {
            int outChannels = config.ChannelsAt(level);
            var block = new DownBlock2D(channels, outChannels, config.LayersPerBlock, settings, HeadsAt(level), downsample: level < levels - 1);
            skipChannels.AddRange(block.SkipChannels(outChannels));
            down.Add(block);
            channels = outChannels;
        }
        down_blocks = nn.ModuleList(down.ToArray());
        mid_block = new MidBlock2D(channels, settings, channels / config.AttentionHeadDim);

        // Decoder: lowest resolution first; LayersPerBlock + 1 resnets per level consume all skips.
        var up = new List<UpBlock2D>();
        for (int level = levels - 1; level >= 0; level--)
        {
            int outChannels = config.ChannelsAt(level);
            var skips = new List<int>();
            for (int j = 0; j <= config.LayersPerBlock; j++)
            {
                skips.Add(skipChannels[^1]);
                skipChannels.RemoveAt(skipChannels.Count - 1);
            }
            up.Add(new UpBlock2D(channels, outChannels, config.LayersPerBlock + 1, skips, settings, HeadsAt(level), upsample: level > 0));
            channels = outChannels;
        }
        up_blocks = nn.ModuleList(up.ToArray());
        conv_norm_out = Normalization.GroupNorm(config.NormGroups, channels, config.NormEps);
        conv_out = nn.Conv2d(channels, config.OutChannels, 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public UNet2DConfig Config { get; }

    /// <inheritdoc />
    public SchedulerConfig Scheduler { get; }

    /// <inheritdoc />
    public IReadOnlyList<long> SampleShape { get; }

    /// <summary>Number of trainable parameters.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>Unconditional prediction (the null condition); see <see cref="Predict"/>.</summary>
    /// <param name="noisySample">float [N, InChannels, ImageSize, ImageSize].</param>
    /// <param name="timesteps">int64 [N] (or a scalar).</param>
    public override Tensor forward(Tensor noisySample, Tensor timesteps) => Predict(noisySample, timesteps, null);

    /// <inheritdoc />
    public Tensor Predict(Tensor noisySample, Tensor timesteps, DiffusionCondition? condition = null)
    {
        ArgumentNullException.ThrowIfNull(noisySample);
        ArgumentNullException.ThrowIfNull(timesteps);
        long n = CheckSample(noisySample);
        using var scope = NewDisposeScope();
        var steps = CheckTimesteps(timesteps, n, noisySample.device);
        var embedding = time_embedding.call(steps);
        embedding = AddCondition(embedding, condition, n);

        var h = conv_in.call(noisySample);
        var skips = new List<Tensor> { h };
        foreach (var block in down_blocks) h = block.Run(h, embedding, skips);
        h = mid_block.call(h, embedding);
        foreach (var block in up_blocks) h = block.Run(h, embedding, skips);
        h = conv_out.call(nn.functional.silu(conv_norm_out.call(h)));
        return scope.MoveToOuter(h);
    }

    /// <summary>Writes <see cref="ConfigFileName"/>, <see cref="SchedulerFileName"/> and <see cref="WeightsFileName"/> into <paramref name="folder"/> (created if needed; each file written atomically).</summary>
    public void Save(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        StateDicts.Save(this, Path.Combine(folder, WeightsFileName));
        ConfigFiles.Write(Path.Combine(folder, SchedulerFileName), Scheduler);
        ConfigFiles.Write(Path.Combine(folder, ConfigFileName), Config);
    }

    /// <summary>Loads a UNet saved by <see cref="Save"/>: architecture, noise schedule and weights (strictly: every key must match).</summary>
    /// <param name="folder">The folder holding the three files.</param>
    /// <param name="device">Where to put the model; CPU when null.</param>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A config file is not valid JSON for its type.</exception>
    /// <exception cref="OptionsValidationException">A config has invalid values.</exception>
    /// <exception cref="StateDictMismatchException">The weights do not fit the architecture (every bad key listed).</exception>
    public static UNet2D Load(string folder, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var config = ConfigFiles.Read<UNet2DConfig>(Path.Combine(folder, ConfigFileName));
        var scheduler = ConfigFiles.Read<SchedulerConfig>(Path.Combine(folder, SchedulerFileName));
        string weights = Path.Combine(folder, WeightsFileName);
        if (!File.Exists(weights)) throw new FileNotFoundException($"UNet weights '{weights}' were not found.", weights);
        var model = new UNet2D(config, scheduler);
        try
        {
            StateDicts.LoadStrict(model, weights);
            if (device is not null) model.to(device);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private long CheckSample(Tensor sample)
    {
        bool ok = sample.dim() == 4 && sample.shape[1] == SampleShape[0] && sample.shape[2] == SampleShape[1] && sample.shape[3] == SampleShape[2];
        if (!ok)
            throw new ArgumentException($"UNet2D expects noisy samples [N, {SampleShape[0]}, {SampleShape[1]}, {SampleShape[2]}], got [{string.Join(", ", sample.shape)}]", nameof(sample));
        if (!sample.is_floating_point())
            throw new ArgumentException($"UNet2D expects floating-point samples, got {sample.dtype}", nameof(sample));
        return sample.shape[0];
    }

    private static Tensor CheckTimesteps(Tensor timesteps, long batch, Device device)
    {
        if (timesteps.dim() == 0) return timesteps.to(device).expand(batch);
        if (timesteps.dim() != 1 || timesteps.shape[0] != batch)
            throw new ArgumentException($"timesteps must be a scalar or [N] with N = {batch}, got [{string.Join(", ", timesteps.shape)}]", nameof(timesteps));
        return timesteps.to(device);
    }

    private Tensor AddCondition(Tensor embedding, DiffusionCondition? condition, long batch)
    {
        if (condition?.BatchSize is long conditioned && conditioned != batch)
            throw new ArgumentException($"The condition has {conditioned} rows but the batch has {batch} samples.", nameof(condition));
        if (condition?.ClassLabels is not null && class_embedding is null)
            throw new ArgumentException("Class labels were given but this UNet2D was built without NumClasses.", nameof(condition));
        if (condition?.TextEmbeddings is not null && text_embedding is null)
            throw new ArgumentException("Text embeddings were given but this UNet2D was built without TextEmbeddingDim.", nameof(condition));

        if (class_embedding is not null)
        {
            int classes = Config.NumClasses!.Value;
            Tensor labels;
            if (condition?.ClassLabels is { } given)
            {
                if (given.dtype is not (ScalarType.Int64 or ScalarType.Int32))
                    throw new ArgumentException($"ClassLabels must be int64, got {given.dtype}", nameof(condition));
                var asLong = given.to(ScalarType.Int64);
                long min = asLong.min().item<long>(), max = asLong.max().item<long>();
                if (min < DiffusionCondition.NullClassLabel || max >= classes)
                    throw new ArgumentException($"ClassLabels must lie in [0, {classes - 1}] or be {DiffusionCondition.NullClassLabel} (no class), got values in [{min}, {max}]", nameof(condition));
                var onDevice = asLong.to(embedding.device);
                labels = where(onDevice < 0, classes, onDevice);   // −1 → the learned null class
            }
            else labels = full(batch, classes, dtype: ScalarType.Int64, device: embedding.device);
            embedding = embedding + class_embedding.call(labels);
        }
        if (text_embedding is not null)
        {
            int dim = Config.TextEmbeddingDim!.Value;
            Tensor text;
            if (condition?.TextEmbeddings is { } given)
            {
                if (given.shape[1] != dim)
                    throw new ArgumentException($"TextEmbeddings must be [N, {dim}], got [{string.Join(", ", given.shape)}]", nameof(condition));
                text = given.to(embedding.dtype).to(embedding.device);
            }
            else text = zeros(batch, dim, dtype: embedding.dtype, device: embedding.device);
            embedding = embedding + text_embedding.call(text);
        }
        return embedding;
    }
}
