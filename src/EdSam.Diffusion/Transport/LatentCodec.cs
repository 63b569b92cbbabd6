using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>
/// Maps pixels in [0, 1] to the space the denoiser works in and back: the identity map onto [−1, 1] for pixel-space
/// denoisers, or an autoencoder's latent space. One place owns the value-range convention.
/// </summary>
internal sealed class LatentCodec
{
    private readonly Func<Tensor, Tensor> _encode;
    private readonly Func<Tensor, Tensor> _decode;

    private LatentCodec(Func<Tensor, Tensor> encode, Func<Tensor, Tensor> decode)
    {
        _encode = encode;
        _decode = decode;
    }

    /// <summary>Pixel space: x ↦ 2x − 1 and back, clamped to [0, 1] on the way out.</summary>
    public static LatentCodec Pixels { get; } = new(x => x * 2 - 1, z => ((z + 1) / 2).clamp(0, 1));

    /// <summary>An autoencoder working on [−1, 1] pixels.</summary>
    public static LatentCodec FromFunctions(Func<Tensor, Tensor> encodeSigned, Func<Tensor, Tensor> decodeSigned) => new(
        x =>
        {
            using var scope = NewDisposeScope();
            return scope.MoveToOuter(encodeSigned(x * 2 - 1));
        },
        z =>
        {
            using var scope = NewDisposeScope();
            return scope.MoveToOuter(((decodeSigned(z) + 1) / 2).clamp(0, 1));
        });

    /// <summary>[N, 3, H, W] pixels in [0, 1] → latents z₀.</summary>
    public Tensor Encode(Tensor images) => _encode(images);

    /// <summary>Latents → [N, 3, H, W] pixels in [0, 1] (differentiable; clamped).</summary>
    public Tensor Decode(Tensor latents) => _decode(latents);
}
