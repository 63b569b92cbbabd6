using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace EdSam.Diffusion.Models;

/// <summary>
/// Architecture of a <see cref="UNet2D"/> (DDPM / ADM layout, diffusers' <c>UNet2DModel</c> key names). Saved as
/// <c>unet.json</c> beside the weights. Level <c>i</c> works at <c>ImageSize / 2^i</c> pixels with
/// <c>BaseChannels × ChannelMultipliers[i]</c> channels.
/// </summary>
public sealed record UNet2DConfig
{
    /// <summary>Side of the square samples, in pixels (latent pixels for latent diffusion).</summary>
    /// <value>The default value is 32.</value>
    [Range(4, 4096)]
    public int ImageSize { get; init; } = 32;

    /// <summary>Channels of the noisy sample (3 for RGB, 4 for Stable-Diffusion latents).</summary>
    /// <value>The default value is 3.</value>
    [Range(1, 1024)]
    public int InChannels { get; init; } = 3;

    /// <summary>Channels of the prediction (normally <see cref="InChannels"/>).</summary>
    /// <value>The default value is 3.</value>
    [Range(1, 1024)]
    public int OutChannels { get; init; } = 3;

    /// <summary>Channels of the first level; also the width of the sinusoidal timestep embedding (must be even).</summary>
    /// <value>The default value is 64.</value>
    [Range(2, 4096)]
    public int BaseChannels { get; init; } = 64;

    /// <summary>Channel multiplier of each level, highest resolution first; one level per entry.</summary>
    /// <value>The default value is [1, 2, 2].</value>
    public IReadOnlyList<int> ChannelMultipliers { get; init; } = [1, 2, 2];

    /// <summary>Residual blocks per encoder level (the decoder has one more per level, as in DDPM).</summary>
    /// <value>The default value is 2.</value>
    [Range(1, 16)]
    public int LayersPerBlock { get; init; } = 2;

    /// <summary>Feature-map sides (pixels) at which levels get self-attention; each must be a level's resolution. The middle block always has attention.</summary>
    /// <value>The default value is [8].</value>
    public IReadOnlyList<int> AttentionResolutions { get; init; } = [8];

    /// <summary>Channels per attention head.</summary>
    /// <value>The default value is 32.</value>
    [Range(1, 4096)]
    public int AttentionHeadDim { get; init; } = 32;

    /// <summary>Groups of every GroupNorm; must divide every level's channel count.</summary>
    /// <value>The default value is 32.</value>
    [Range(1, 1024)]
    public int NormGroups { get; init; } = 32;

    /// <summary>ε of every GroupNorm.</summary>
    /// <value>The default value is 1e-5.</value>
    [Range(1e-12, 1e-1)]
    public double NormEps { get; init; } = 1e-5;

    /// <summary>Dropout probability inside the residual blocks.</summary>
    /// <value>The default value is 0.</value>
    [Range(0.0, 0.99)]
    public double Dropout { get; init; }

    /// <summary>Width of the time (and class/text) embedding fed to every residual block.</summary>
    /// <value>The default value is 256 (4 × <see cref="BaseChannels"/> for the default, as in DDPM).</value>
    [Range(1, 16384)]
    public int TimeEmbeddingDim { get; init; } = 256;

    /// <summary>Apply the time embedding as a FiLM scale and shift after the second norm (Dhariwal &amp; Nichol, 2021) instead of adding it.</summary>
    /// <value>The default value is true.</value>
    public bool ResnetTimeScaleShift { get; init; } = true;

    /// <summary>Number of classes for class conditioning (an extra learned "null" class is added for classifier-free guidance), or null for none.</summary>
    /// <value>The default value is null.</value>
    [Range(1, 1_000_000)]
    public int? NumClasses { get; init; }

    /// <summary>Width of text embeddings (e.g. 512 for CLIP ViT-B text features), projected and added to the time embedding; null for none.</summary>
    /// <value>The default value is null.</value>
    [Range(1, 65536)]
    public int? TextEmbeddingDim { get; init; }

    /// <summary>Number of resolution levels.</summary>
    [JsonIgnore]
    public int Levels => ChannelMultipliers.Count;

    /// <summary>Channels of level <paramref name="level"/>.</summary>
    public int ChannelsAt(int level) => BaseChannels * ChannelMultipliers[level];

    /// <summary>Feature-map side of level <paramref name="level"/>, in pixels.</summary>
    public int ResolutionAt(int level) => ImageSize >> level;

    /// <summary>A ~1.2 M-parameter model that trains on a CPU in minutes on 16–64 px images (3 levels, 32–64 channels, attention at the lowest level).</summary>
    /// <param name="imageSize">Sample side, divisible by 4 (e.g. 28, 32, 64).</param>
    /// <param name="channels">Image channels (in = out).</param>
    public static UNet2DConfig Tiny(int imageSize, int channels = 3) => new UNet2DConfig
    {
        ImageSize = imageSize, InChannels = channels, OutChannels = channels,
        BaseChannels = 32, ChannelMultipliers = [1, 2, 2], LayersPerBlock = 1,
        AttentionResolutions = [imageSize / 4], AttentionHeadDim = 32, NormGroups = 8, TimeEmbeddingDim = 128,
    }.Validate();

    /// <summary>A ~7.3 M-parameter model for 32–64 px images (3 levels, 64–128 channels, attention at the two lowest levels).</summary>
    /// <param name="imageSize">Sample side, divisible by 4.</param>
    /// <param name="channels">Image channels (in = out).</param>
    public static UNet2DConfig Small(int imageSize, int channels = 3) => new UNet2DConfig
    {
        ImageSize = imageSize, InChannels = channels, OutChannels = channels,
        BaseChannels = 64, ChannelMultipliers = [1, 2, 2], LayersPerBlock = 2,
        AttentionResolutions = [imageSize / 2, imageSize / 4], AttentionHeadDim = 32, NormGroups = 32, TimeEmbeddingDim = 256,
    }.Validate();

    /// <summary>Throws one <see cref="OptionsValidationException"/> listing every invalid property; returns this config otherwise.</summary>
    public UNet2DConfig Validate()
    {
        var errors = RecordValidation.AttributeErrors(this);
        if (ChannelMultipliers is null || ChannelMultipliers.Count == 0 || ChannelMultipliers.Any(m => m < 1))
        {
            errors.Add("The field ChannelMultipliers must list at least one level, each multiplier ≥ 1.");
            return RecordValidation.ThrowIfAny(this, errors);
        }
        if (BaseChannels % 2 != 0)
            errors.Add($"The field BaseChannels ({BaseChannels}) must be even: it is also the sinusoidal timestep-embedding width.");
        int downsamplings = Levels - 1;
        if (Levels > 12 || ImageSize % (1 << downsamplings) != 0)
            errors.Add($"The field ImageSize ({ImageSize}) must be divisible by 2^{downsamplings} = {1 << Math.Min(downsamplings, 30)} for {Levels} levels (each level below the first halves the resolution).");
        if (NormGroups >= 1)
            foreach (int channels in new[] { BaseChannels }.Concat(Enumerable.Range(0, Levels).Select(ChannelsAt)).Distinct())
                if (channels % NormGroups != 0)
                    errors.Add($"The field NormGroups ({NormGroups}) must divide every level's channel count; {channels} is not divisible by it.");
        var resolutions = Enumerable.Range(0, Levels).Select(ResolutionAt).ToList();
        foreach (int resolution in AttentionResolutions ?? [])
            if (!resolutions.Contains(resolution))
                errors.Add($"The field AttentionResolutions contains {resolution}, which is not a level resolution ({string.Join(", ", resolutions)} px).");
        if (AttentionHeadDim >= 1)
            foreach (int level in AttentionLevels().Append(Levels - 1).Distinct())
                if (ChannelsAt(level) % AttentionHeadDim != 0)
                    errors.Add($"The field AttentionHeadDim ({AttentionHeadDim}) must divide the {ChannelsAt(level)} channels of attention level {level} ({ResolutionAt(level)} px; the middle block always attends).");
        return RecordValidation.ThrowIfAny(this, errors);
    }

    /// <summary>The levels that get self-attention blocks.</summary>
    internal IEnumerable<int> AttentionLevels() =>
        Enumerable.Range(0, Levels).Where(level => (AttentionResolutions ?? []).Contains(ResolutionAt(level)));

    /// <inheritdoc />
    public bool Equals(UNet2DConfig? other) =>
        other is not null && ImageSize == other.ImageSize && InChannels == other.InChannels && OutChannels == other.OutChannels
        && BaseChannels == other.BaseChannels && ChannelMultipliers.SequenceEqual(other.ChannelMultipliers)
        && LayersPerBlock == other.LayersPerBlock && AttentionResolutions.SequenceEqual(other.AttentionResolutions)
        && AttentionHeadDim == other.AttentionHeadDim && NormGroups == other.NormGroups && NormEps == other.NormEps
        && Dropout == other.Dropout && TimeEmbeddingDim == other.TimeEmbeddingDim && ResnetTimeScaleShift == other.ResnetTimeScaleShift
        && NumClasses == other.NumClasses && TextEmbeddingDim == other.TextEmbeddingDim;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ImageSize, InChannels, BaseChannels, Levels, LayersPerBlock, NumClasses, TextEmbeddingDim);
}
