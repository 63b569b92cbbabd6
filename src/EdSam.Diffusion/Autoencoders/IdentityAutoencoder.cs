using static TorchSharp.torch;

namespace EdSam.Diffusion.Autoencoders;

/// <summary>Pixel-space diffusion: "encoding" maps [0, 1] images affinely to [−1, 1] (the range DDPM trains in), decoding maps back.</summary>
public sealed class IdentityAutoencoder : IAutoencoder
{
    /// <summary>Creates the identity autoencoder for <paramref name="channels"/>-channel images.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> is not positive.</exception>
    public IdentityAutoencoder(int channels = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        LatentChannels = channels;
    }

    /// <inheritdoc />
    public int LatentChannels { get; }

    /// <inheritdoc />
    public int DownscaleFactor => 1;

    /// <inheritdoc />
    public double ScalingFactor => 1.0;

    /// <inheritdoc />
    public Tensor Encode(Tensor images)
    {
        Check(images, nameof(images));
        return images * 2 - 1;
    }

    /// <inheritdoc />
    public Tensor Decode(Tensor latents)
    {
        Check(latents, nameof(latents));
        return (latents + 1) / 2;
    }

    private void Check(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (tensor.dim() != 4 || tensor.shape[1] != LatentChannels)
            throw new ArgumentException($"Expected [N, {LatentChannels}, H, W], got [{string.Join(", ", tensor.shape)}]", name);
    }
}
