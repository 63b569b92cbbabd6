using static TorchSharp.torch;

namespace EdSam.Diffusion.Autoencoders;

/// <summary>
/// The seam between images and the space the diffusion model works in: pixels (<see cref="IdentityAutoencoder"/>) or
/// the latents of a VAE (<see cref="AutoencoderKL"/>, latent diffusion as in Stable Diffusion).
/// </summary>
public interface IAutoencoder
{
    /// <summary>Channels of the latents (3 for RGB pixel diffusion, 4 for Stable-Diffusion VAEs).</summary>
    int LatentChannels { get; }

    /// <summary>How many image pixels one latent pixel covers per side (1 for pixels, 8 for Stable-Diffusion VAEs).</summary>
    int DownscaleFactor { get; }

    /// <summary>The factor latents are multiplied by after encoding (and divided by before decoding) so they have roughly unit variance (0.18215 for Stable Diffusion 1.x).</summary>
    double ScalingFactor { get; }

    /// <summary>Images to diffusion-space samples.</summary>
    /// <param name="images">float [N, C, H, W] with values in [0, 1]; H and W divisible by <see cref="DownscaleFactor"/>.</param>
    /// <returns>float [N, <see cref="LatentChannels"/>, H / f, W / f], already multiplied by <see cref="ScalingFactor"/>; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The images have the wrong rank, channels or size.</exception>
    Tensor Encode(Tensor images);

    /// <summary>Diffusion-space samples back to images.</summary>
    /// <param name="latents">float [N, <see cref="LatentChannels"/>, h, w] as produced by <see cref="Encode"/> or a sampler.</param>
    /// <returns>float [N, C, h·f, w·f], nominally in [0, 1] but not clamped (so gradients flow; clamp before saving a picture); the caller owns it.</returns>
    /// <exception cref="ArgumentException">The latents have the wrong rank or channels.</exception>
    Tensor Decode(Tensor latents);
}
