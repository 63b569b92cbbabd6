using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation.Losses;

/// <summary>
/// VL2V-ADiP's distillation loss: L = λ·(−mean cos(z, I(x))) + (1−λ)·(−mean cos(z, T_y)), where z is the student
/// embedding, I(x) the teacher's image embedding of the same (augmented) image and T_y the text embedding of its class.
/// </summary>
public static class Vl2vAdipLoss
{
    /// <summary>Computes the loss (every input is normalised here, so raw embeddings work too).</summary>
    /// <param name="student">Student embeddings z <c>[N, D]</c>.</param>
    /// <param name="teacherImage">Teacher image embeddings I(x) <c>[N, D]</c>.</param>
    /// <param name="classText">Text embeddings of each example's class T_y <c>[N, D]</c>.</param>
    /// <param name="lambda">Weight of the image term, in [0, 1].</param>
    /// <returns>A scalar in [−1, 1] (−1 when z matches both targets).</returns>
    /// <exception cref="ArgumentException">Shapes differ or are not 2-D, or λ is outside [0, 1].</exception>
    public static Tensor Compute(Tensor student, Tensor teacherImage, Tensor classText, double lambda)
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacherImage);
        ArgumentNullException.ThrowIfNull(classText);
        if (!(lambda >= 0 && lambda <= 1)) throw new ArgumentException($"λ must be in [0, 1]; got {lambda}.", nameof(lambda));
        if (student.Dimensions != 2 || !student.shape.SequenceEqual(teacherImage.shape) || !student.shape.SequenceEqual(classText.shape))
            throw new ArgumentException(
                $"Student, teacher-image and class-text embeddings must all be [N, D]; got [{string.Join(", ", student.shape)}], " +
                $"[{string.Join(", ", teacherImage.shape)}], [{string.Join(", ", classText.shape)}].");
        using var scope = NewDisposeScope();
        var imageCos = functional.cosine_similarity(student, teacherImage, dim: 1).mean();
        var textCos = functional.cosine_similarity(student, classText, dim: 1).mean();
        var loss = imageCos.mul(-lambda).sub(textCos.mul(1 - lambda));
        return scope.MoveToOuter(loss);
    }
}
