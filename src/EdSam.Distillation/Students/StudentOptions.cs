using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace EdSam.Distillation.Students;

/// <summary>How <see cref="StudentFactory"/> builds a student backbone.</summary>
public sealed record StudentOptions
{
    /// <summary>
    /// ImageNet weights (<c>.safetensors</c> with torchvision keys for ResNets, timm keys for ViTs, for example
    /// <c>timm/resnet50.tv_in1k</c> or <c>timm/vit_small_patch16_224.augreg_in21k_ft_in1k</c>); null for random
    /// initialisation (Kaiming-normal as torchvision, truncated normal as timm).
    /// </summary>
    /// <value>The default value is null (random initialisation).</value>
    public string? WeightsPath { get; init; }

    /// <summary>Seed of the random initialisation (drawn from a private generator): equal seeds give identical students on the CPU. Null draws from torch's global generator.</summary>
    /// <value>The default value is null.</value>
    public long? Seed { get; init; }

    /// <summary>Where to put the backbone; null for the CPU.</summary>
    /// <value>The default value is null (CPU).</value>
    public Device? Device { get; init; }

    /// <summary>
    /// Input side in pixels for ViTs (fixes the positional embedding; a checkpoint trained at another size has its
    /// grid resized bicubically). Ignored by ResNets, which take any size. Null uses the architecture's own (224, or 32 for <see cref="StudentArchitecture.TinyVit"/>).
    /// </summary>
    /// <value>The default value is null.</value>
    public int? ImageSize { get; init; }

    /// <summary>Freeze BatchNorm right away (see <see cref="StudentBackbone.FreezeBatchNorm"/>).</summary>
    /// <value>The default value is false.</value>
    public bool FreezeBatchNorm { get; init; }

    /// <summary>Receives the loading notes (ignored classification head, conversions); null for none.</summary>
    /// <value>The default value is null.</value>
    public ILogger? Logger { get; init; }

    /// <summary>Checks every property and reports all problems at once.</summary>
    /// <exception cref="OptionsValidationException">A property is invalid; the message lists every one.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public StudentOptions Validate()
    {
        var errors = new List<string>();
        if (WeightsPath is not null && string.IsNullOrWhiteSpace(WeightsPath)) errors.Add("WeightsPath: must be null (random initialisation) or a file path; got an empty string.");
        if (ImageSize is < 1) errors.Add($"ImageSize: must be positive; got {ImageSize}.");
        OptionsValidationException.ThrowIfAny("StudentOptions", errors);
        return this;
    }
}
