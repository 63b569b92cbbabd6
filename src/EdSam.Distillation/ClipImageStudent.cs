using EdSam.Clip;
using EdSam.Distillation.Students;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Distillation;

/// <summary>
/// VL2V-SD's student: a trainable copy of the teacher's CLIP model whose image encoder is the backbone
/// (<c>forward</c> = <see cref="ClipModel.EncodeImage"/>, features = the joint embedding, not normalised). Only the
/// <c>visual.*</c> parameters are trained; the text tower is carried along unused so the copy loads with CLIP's keys.
/// </summary>
public sealed class ClipImageStudent : StudentBackbone
{
    private readonly ClipModel clip;

    /// <summary>Creates a randomly initialised CLIP of <paramref name="config"/>.</summary>
    /// <param name="config">The teacher's configuration.</param>
    public ClipImageStudent(ClipConfig config) : base(nameof(ClipImageStudent))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        clip = new ClipModel(config);
        RegisterComponents();
    }

    /// <summary>A student initialised with the teacher's weights (copied; the teacher is not shared).</summary>
    /// <param name="teacher">The CLIP teacher.</param>
    /// <returns>The student on the teacher's device, in training mode.</returns>
    public static ClipImageStudent FromTeacher(ClipModel teacher)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        var student = new ClipImageStudent(teacher.Config);
        var device = teacher.parameters().First().device;
        student.to(device);
        using (no_grad())
        {
            var source = teacher.state_dict();
            foreach (var (key, target) in student.clip.state_dict())
                target.copy_(source[key]);
        }
        student.train();
        return student;
    }

    /// <summary>The CLIP configuration.</summary>
    public ClipConfig Config { get; }

    /// <inheritdoc />
    public override int FeatureDim => clip.EmbedDim;

    /// <inheritdoc />
    public override string ClassifierPrefix => "clip.transformer.";

    /// <inheritdoc />
    public override int? ImageSize => clip.ImageSize;

    /// <summary>The image encoder's parameters (the only ones VL2V-SD trains).</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> VisualParameters() =>
        clip.named_parameters().Where(p => p.name.StartsWith("visual.", StringComparison.Ordinal)).Select(p => p.parameter);

    /// <summary>The teacher-space image embedding (not normalised).</summary>
    /// <param name="images">CLIP-normalised pixels <c>[N, 3, ImageSize, ImageSize]</c>.</param>
    /// <returns><c>[N, EmbedDim]</c>.</returns>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(clip.EncodeImage(PrepareInput(images, clip.parameters().First())));
    }
}
