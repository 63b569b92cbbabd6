using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>A transform of one image tensor (an augmentation or a preprocessing step). Random transforms draw
/// every random choice from the <see cref="Random"/> they are given, so the same seed gives the same output.</summary>
public interface IImageTransform
{
    /// <summary>Transforms <paramref name="image"/>.</summary>
    /// <param name="image">float32 [3, H, W]; pixel values in [0, 1] unless a normalisation ran before. Not modified or disposed.</param>
    /// <param name="random">Source of every random draw; unused by deterministic transforms.</param>
    /// <returns>A new tensor the caller owns: [3, H', W'].</returns>
    Tensor Apply(Tensor image, Random random);
}
