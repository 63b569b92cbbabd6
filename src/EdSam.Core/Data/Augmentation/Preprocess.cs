using EdSam.Clip;
using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>A model's evaluation preprocessing (<see cref="ImagePreprocessor"/>: resize, centre crop,
/// normalise) as one pipeline step, so loaders feed a CLIP model exactly what its reference pipeline would.</summary>
public sealed class Preprocess : IImageTransform
{
    /// <summary>Creates the step.</summary>
    /// <param name="preprocessor">The preprocessing to apply (e.g. <c>new ImagePreprocessor(ImagePreprocessorOptions.Clip(336))</c>).</param>
    public Preprocess(ImagePreprocessor preprocessor)
    {
        ArgumentNullException.ThrowIfNull(preprocessor);
        Preprocessor = preprocessor;
    }

    /// <summary>The preprocessing applied.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <inheritdoc/>
    /// <remarks>Expects pixels in [0, 1]; returns [3, CropSize, CropSize], normalised.</remarks>
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(Preprocess));
        return Preprocessor.Preprocess(image);
    }
}
