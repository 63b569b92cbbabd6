using EdSam.Clip;
using static TorchSharp.torch;

namespace EdSam.Data.Augmentation;

/// <summary>Per-channel <c>(x − mean) / std</c>: the last step before a model, mapping [0, 1] pixels to the
/// statistics the model was trained with.</summary>
public sealed class Normalize : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="mean">Per-channel mean (R, G, B).</param>
    /// <param name="std">Per-channel standard deviation (R, G, B), each &gt; 0.</param>
    public Normalize(IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count != 3 || std.Count != 3) throw new ArgumentException("Mean and std need three values (R, G, B).");
        if (std.Any(s => !(s > 0))) throw new ArgumentException("Every std value must be positive.", nameof(std));
        Mean = mean.ToArray();
        Std = std.ToArray();
    }

    /// <summary>The statistics OpenAI CLIP was trained with.</summary>
    public static Normalize Clip { get; } = new(Widen(ImagePreprocessorOptions.ClipMean), Widen(ImagePreprocessorOptions.ClipStd));

    /// <summary>The ImageNet statistics (torchvision, DomainBed's ResNets).</summary>
    public static Normalize ImageNet { get; } = new(Widen(ImagePreprocessorOptions.ImageNetMean), Widen(ImagePreprocessorOptions.ImageNetStd));

    /// <summary>Per-channel mean.</summary>
    public IReadOnlyList<double> Mean { get; }

    /// <summary>Per-channel standard deviation.</summary>
    public IReadOnlyList<double> Std { get; }

    private static double[] Widen(IReadOnlyList<float> values) => values.Select(v => (double)v).ToArray();

    /// <inheritdoc/>
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(Normalize));
        using var scope = NewDisposeScope();
        var mean = tensor(Mean.Select(m => (float)m).ToArray(), [3, 1, 1], image.dtype, image.device);
        var std = tensor(Std.Select(s => (float)s).ToArray(), [3, 1, 1], image.dtype, image.device);
        return scope.MoveToOuter((image - mean) / std);
    }
}
