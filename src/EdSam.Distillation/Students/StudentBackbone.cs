using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation.Students;

/// <summary>
/// A student image encoder f_θ: normalised pixels <c>[N, 3, H, W]</c> → features <c>[N, FeatureDim]</c> (the
/// pooled features of a ResNet, the class token of a ViT; never the classifier output). Parameter names equal the
/// torchvision/timm state-dict keys, so ImageNet checkpoints load without a mapping table.
/// </summary>
/// <remarks>
/// The classifier (<c>fc</c> / <c>head</c>) is part of the module only so that <c>state_dict()</c> has the exact
/// torchvision/timm layout; <c>forward</c> never runs it. <see cref="FreezeBatchNorm"/> keeps every BatchNorm in
/// eval mode with frozen affine parameters, surviving later <c>train()</c> calls (VL2V-ADiP's first stage).
/// </remarks>
public abstract class StudentBackbone : Module<Tensor, Tensor>
{
    /// <summary>Creates the backbone module.</summary>
    /// <param name="name">The module name.</param>
    protected StudentBackbone(string name) : base(name)
    {
    }

    /// <summary>Width of the features <c>forward</c> returns.</summary>
    public abstract int FeatureDim { get; }

    /// <summary>
    /// Prefix of the classification head's keys (<c>"fc."</c> for a ResNet, <c>"head."</c> for a ViT): these entries
    /// are not used by <c>forward</c>, and a checkpoint's head is ignored when loading.
    /// </summary>
    public abstract string ClassifierPrefix { get; }

    /// <summary>Side of the square input the architecture expects, in pixels; null when any size works (ResNets).</summary>
    public virtual int? ImageSize => null;

    /// <summary>True after <see cref="FreezeBatchNorm"/>.</summary>
    public bool BatchNormFrozen { get; private set; }

    /// <summary>
    /// Freezes every BatchNorm layer: eval mode (running statistics are used, never updated) and no gradients for
    /// its weight and bias. Stays in force through later <c>train()</c> calls. A ViT has no BatchNorm: no effect.
    /// </summary>
    public void FreezeBatchNorm()
    {
        BatchNormFrozen = true;
        foreach (var norm in BatchNorms())
        {
            norm.eval();
            foreach (var parameter in norm.parameters()) parameter.requires_grad = false;
        }
    }

    /// <summary>Undoes <see cref="FreezeBatchNorm"/>: BatchNorm follows the module's mode again and its parameters train.</summary>
    public void UnfreezeBatchNorm()
    {
        BatchNormFrozen = false;
        foreach (var norm in BatchNorms())
        {
            norm.train(training);
            foreach (var parameter in norm.parameters()) parameter.requires_grad = true;
        }
    }

    /// <summary>Sets training mode; frozen BatchNorm layers stay in eval mode.</summary>
    /// <param name="on">True for training mode.</param>
    public override void train(bool on = true)
    {
        base.train(on);
        if (!BatchNormFrozen) return;
        foreach (var norm in BatchNorms()) norm.eval();
    }

    /// <summary>
    /// Validates <paramref name="images"/> and returns it on the backbone's device and dtype.
    /// </summary>
    /// <param name="images">The input to check.</param>
    /// <param name="reference">A parameter of the backbone: the input is moved to its dtype and device.</param>
    /// <returns>The input, converted when needed (the caller's dispose scope owns a converted copy).</returns>
    /// <exception cref="ArgumentException">Not <c>[N, 3, H, W]</c> floating point, or the wrong size for a ViT.</exception>
    protected Tensor PrepareInput(Tensor images, Tensor reference)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Dimensions != 4 || images.shape[1] != 3)
            throw new ArgumentException($"Images must have shape [N, 3, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        if (ImageSize is { } side && (images.shape[2] != side || images.shape[3] != side))
            throw new ArgumentException(
                $"This {GetName()} expects {side}×{side} images (its positional embedding is fixed); got [{string.Join(", ", images.shape)}].",
                nameof(images));
        if (!images.is_floating_point())
            throw new ArgumentException($"Images must be normalised floating-point pixels; got dtype {images.dtype}.", nameof(images));
        return images.dtype == reference.dtype && images.device == reference.device
            ? images
            : images.to(reference.dtype, reference.device);
    }

    private IEnumerable<BatchNorm> BatchNorms() => modules().OfType<BatchNorm>();
}
