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
    public static Normalize Clip { get; } = new([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]);

    /// <summary>The ImageNet statistics (torchvision, DomainBed's ResNets).</summary>
    public static Normalize ImageNet { get; } = new([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    /// <summary>Per-channel mean.</summary>
    public IReadOnlyList<double> Mean { get; }

    /// <summary>Per-channel standard deviation.</summary>
    public IReadOnlyList<double> Std { get; }

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
