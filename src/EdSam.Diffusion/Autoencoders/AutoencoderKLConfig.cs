using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using EdSam.Diffusion.Models;

namespace EdSam.Diffusion.Autoencoders;

/// <summary>
/// Architecture of an <see cref="AutoencoderKL"/>. Property names serialise to the keys of diffusers'
/// <c>vae/config.json</c> (<c>block_out_channels</c>, <c>layers_per_block</c>, <c>latent_channels</c>, …), so a Stable
/// Diffusion VAE config can be read with <see cref="AutoencoderKL.FromPretrained"/>. Defaults are Stable Diffusion 1.x's VAE.
/// </summary>
public sealed record AutoencoderKLConfig
{
    /// <summary>Image channels.</summary>
    /// <value>The default value is 3.</value>
    [Range(1, 64)]
    public int InChannels { get; init; } = 3;

    /// <summary>Decoded image channels.</summary>
    /// <value>The default value is 3.</value>
    [Range(1, 64)]
    public int OutChannels { get; init; } = 3;

    /// <summary>Latent channels.</summary>
    /// <value>The default value is 4.</value>
    [Range(1, 1024)]
    public int LatentChannels { get; init; } = 4;

    /// <summary>Channels of each encoder level (the decoder mirrors them); every level but the last halves the resolution.</summary>
    /// <value>The default value is [128, 256, 512, 512] (downscale factor 8).</value>
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [128, 256, 512, 512];

    /// <summary>Residual blocks per encoder level (the decoder has one more per level).</summary>
    /// <value>The default value is 2.</value>
    [Range(1, 16)]
    public int LayersPerBlock { get; init; } = 2;

    /// <summary>Groups of every GroupNorm (ε = 1e-6 as in the Stable-Diffusion VAE).</summary>
    /// <value>The default value is 32.</value>
    [Range(1, 1024)]
    public int NormNumGroups { get; init; } = 32;

    /// <summary>Latents are multiplied by this after encoding so they have roughly unit variance.</summary>
    /// <value>The default value is 0.18215 (Stable Diffusion 1.x).</value>
    [Range(1e-6, 1e6)]
    public double ScalingFactor { get; init; } = 0.18215;

    /// <summary>How many image pixels one latent pixel covers per side: 2^(levels − 1).</summary>
    [JsonIgnore]
    public int DownscaleFactor => 1 << Math.Max(0, (BlockOutChannels?.Count ?? 1) - 1);

    /// <summary>The Stable Diffusion 1.x / 2.x VAE (83.7 M parameters).</summary>
    public static AutoencoderKLConfig StableDiffusion { get; } = new();

    /// <summary>Throws one <see cref="OptionsValidationException"/> listing every invalid property; returns this config otherwise.</summary>
    public AutoencoderKLConfig Validate()
    {
        var errors = RecordValidation.AttributeErrors(this);
        if (BlockOutChannels is null || BlockOutChannels.Count == 0 || BlockOutChannels.Count > 8 || BlockOutChannels.Any(c => c < 1))
            errors.Add("The field BlockOutChannels must list 1 to 8 levels, each with at least one channel.");
        else if (NormNumGroups >= 1)
            foreach (int channels in BlockOutChannels.Distinct())
                if (channels % NormNumGroups != 0)
                    errors.Add($"The field NormNumGroups ({NormNumGroups}) must divide every entry of BlockOutChannels; {channels} is not divisible by it.");
        return RecordValidation.ThrowIfAny(this, errors);
    }

    /// <inheritdoc />
    public bool Equals(AutoencoderKLConfig? other) =>
        other is not null && InChannels == other.InChannels && OutChannels == other.OutChannels && LatentChannels == other.LatentChannels
        && BlockOutChannels.SequenceEqual(other.BlockOutChannels) && LayersPerBlock == other.LayersPerBlock
        && NormNumGroups == other.NormNumGroups && ScalingFactor == other.ScalingFactor;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(InChannels, OutChannels, LatentChannels, BlockOutChannels.Count, LayersPerBlock, NormNumGroups, ScalingFactor);
}
