using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation.Heads;

/// <summary>
/// VL2V-ADiP's projection P: a Linear(d_student → d_teacher) with bias and no activation, followed by L2
/// normalisation, so the student embedding z = P(f(x)) / ‖P(f(x))‖ lives on the teacher's unit sphere.
/// </summary>
public sealed class AlignHead : Module<Tensor, Tensor>
{
    private readonly Linear proj;

    /// <summary>Creates the head with PyTorch's default Linear initialisation.</summary>
    /// <param name="studentDim">Width of the backbone features (for example 2048 for ResNet-50).</param>
    /// <param name="teacherDim">Width of the teacher's joint embedding (for example 768 for ViT-L/14 CLIP).</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive.</exception>
    public AlignHead(int studentDim, int teacherDim) : base(nameof(AlignHead))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(studentDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(teacherDim);
        StudentDim = studentDim;
        TeacherDim = teacherDim;
        proj = Linear(studentDim, teacherDim);
        RegisterComponents();
    }

    /// <summary>Input width.</summary>
    public int StudentDim { get; }

    /// <summary>Output width.</summary>
    public int TeacherDim { get; }

    /// <summary>Projects without normalising: P(f(x)).</summary>
    /// <param name="features">Backbone features <c>[N, StudentDim]</c>.</param>
    /// <returns><c>[N, TeacherDim]</c>.</returns>
    /// <exception cref="ArgumentException">The last dimension is not <see cref="StudentDim"/>.</exception>
    public Tensor Project(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Dimensions < 1 || features.shape[^1] != StudentDim)
            throw new ArgumentException($"Features must have last dimension {StudentDim} (the student's width); got [{string.Join(", ", features.shape)}].", nameof(features));
        return proj.call(features);
    }

    /// <summary>The unit-norm student embedding.</summary>
    /// <param name="features">Backbone features <c>[N, StudentDim]</c>.</param>
    /// <returns><c>[N, TeacherDim]</c> rows of L2 norm 1 (ε = 1e-12 guards a zero row).</returns>
    /// <exception cref="ArgumentException">The last dimension is not <see cref="StudentDim"/>.</exception>
    public override Tensor forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(functional.normalize(Project(features), dim: -1));
    }
}
