using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation.Heads;

/// <summary>A trainable linear classifier <c>fc</c> (features → class logits) for the ERM and KD baselines.</summary>
public sealed class LinearHead : Module<Tensor, Tensor>
{
    private readonly Linear fc;

    /// <summary>Creates the head with PyTorch's default Linear initialisation.</summary>
    /// <param name="inputDim">Width of the features.</param>
    /// <param name="numClasses">Number of classes.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive.</exception>
    public LinearHead(int inputDim, int numClasses) : base(nameof(LinearHead))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        InputDim = inputDim;
        NumClasses = numClasses;
        fc = Linear(inputDim, numClasses);
        RegisterComponents();
    }

    /// <summary>Input width.</summary>
    public int InputDim { get; }

    /// <summary>Number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>Class logits.</summary>
    /// <param name="features">Features <c>[N, InputDim]</c>.</param>
    /// <returns>Unnormalised logits <c>[N, NumClasses]</c>.</returns>
    /// <exception cref="ArgumentException">The last dimension is not <see cref="InputDim"/>.</exception>
    public override Tensor forward(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Dimensions < 1 || features.shape[^1] != InputDim)
            throw new ArgumentException($"Features must have last dimension {InputDim}; got [{string.Join(", ", features.shape)}].", nameof(features));
        return fc.call(features);
    }
}
