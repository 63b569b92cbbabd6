using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>Checks every trainer runs on each step, so bad numbers stop training instead of being learnt.</summary>
public static class TrainingGuards
{
    /// <summary>
    /// Reads a scalar loss and throws when it is NaN or infinite. Call it after the forward pass and before
    /// <c>backward()</c>/<c>optimizer.step()</c>.
    /// </summary>
    /// <param name="loss">A one-element loss tensor (any floating dtype, any device).</param>
    /// <param name="step">The 0-based index of the step being run (reported in the exception).</param>
    /// <param name="lastGoodCheckpoint">The last checkpoint written (<see cref="CheckpointManager.LastCheckpointPath"/>), or null.</param>
    /// <returns>The loss as a double.</returns>
    /// <exception cref="NonFiniteLossException">The loss is NaN or ±∞.</exception>
    /// <exception cref="ArgumentException">The tensor does not hold exactly one element.</exception>
    public static double EnsureFiniteLoss(Tensor loss, long step, string? lastGoodCheckpoint)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.numel() != 1) throw new ArgumentException($"The loss must hold one element (shape was [{string.Join(", ", loss.shape)}]).", nameof(loss));
        double value;
        using (torch.NewDisposeScope()) value = loss.detach().to_type(ScalarType.Float64).item<double>();
        if (!double.IsFinite(value)) throw new NonFiniteLossException(step, value, lastGoodCheckpoint);
        return value;
    }

    /// <summary>
    /// Scales all gradients in place so their total L2 norm (over all parameters together) is at most
    /// <paramref name="maxNorm"/>, as PyTorch's <c>clip_grad_norm_</c>. Parameters without a gradient are ignored.
    /// </summary>
    /// <param name="parameters">The parameters whose <c>.grad</c> to clip.</param>
    /// <param name="maxNorm">The largest allowed total norm; finite and &gt; 0.</param>
    /// <returns>The total norm before clipping (a NaN/∞ here means the gradients are unusable).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not finite and positive.</exception>
    public static double ClipGradientNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!double.IsFinite(maxNorm) || maxNorm <= 0) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be finite and > 0.");
        using var scope = torch.NewDisposeScope();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        using var noGrad = torch.no_grad();
        var total = torch.stack(grads.Select(g => torch.linalg.vector_norm(g.to_type(ScalarType.Float64))).ToArray()).pow(2).sum().sqrt();
        double norm = total.item<double>();
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
            foreach (var g in grads) g.mul_(coefficient);
        return norm;
    }
}
