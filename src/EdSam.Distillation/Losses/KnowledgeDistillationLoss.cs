using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation.Losses;

/// <summary>
/// The KD baseline's loss (Hinton et al., 2015): (1−α)·CE(student logits, y) + α·T²·KL(softmax(teacher/T) ‖ softmax(student/T)),
/// the KL averaged over the batch. The T² keeps the soft term's gradients on the scale of the hard term's.
/// </summary>
public static class KnowledgeDistillationLoss
{
    /// <summary>Computes the loss.</summary>
    /// <param name="studentLogits">Student class logits <c>[N, C]</c>.</param>
    /// <param name="teacherLogits">Teacher class logits <c>[N, C]</c> (CLIP zero-shot: 100·cos).</param>
    /// <param name="labels">Int64 class indices <c>[N]</c>.</param>
    /// <param name="temperature">T &gt; 0.</param>
    /// <param name="weight">α in [0, 1].</param>
    /// <returns>A scalar.</returns>
    /// <exception cref="ArgumentException">Shapes differ, or T or α is out of range.</exception>
    public static Tensor Compute(Tensor studentLogits, Tensor teacherLogits, Tensor labels, double temperature, double weight)
    {
        ArgumentNullException.ThrowIfNull(studentLogits);
        ArgumentNullException.ThrowIfNull(teacherLogits);
        ArgumentNullException.ThrowIfNull(labels);
        if (!(temperature > 0) || !double.IsFinite(temperature)) throw new ArgumentException($"The temperature must be positive and finite; got {temperature}.", nameof(temperature));
        if (!(weight >= 0 && weight <= 1)) throw new ArgumentException($"α must be in [0, 1]; got {weight}.", nameof(weight));
        if (studentLogits.Dimensions != 2 || !studentLogits.shape.SequenceEqual(teacherLogits.shape))
            throw new ArgumentException($"Student and teacher logits must both be [N, C]; got [{string.Join(", ", studentLogits.shape)}] and [{string.Join(", ", teacherLogits.shape)}].");
        using var scope = NewDisposeScope();
        var hard = functional.cross_entropy(studentLogits, labels);
        var studentLog = functional.log_softmax(studentLogits.div(temperature), 1);
        var teacherLog = functional.log_softmax(teacherLogits.detach().div(temperature), 1);
        // KL(p_t ‖ p_s) = Σ p_t (log p_t − log p_s), mean over the batch.
        var kl = teacherLog.exp().mul(teacherLog.sub(studentLog)).sum(1).mean();
        var loss = hard.mul(1 - weight).add(kl.mul(weight * temperature * temperature));
        return scope.MoveToOuter(loss);
    }
}
