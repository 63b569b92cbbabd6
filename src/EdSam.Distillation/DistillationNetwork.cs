using EdSam.Distillation.Students;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation;

/// <summary>
/// The trained network: a student backbone and an optional head (VL2V-ADiP's <c>AlignHead</c> P, the baselines'
/// <c>LinearHead</c>, none for VL2V-SD). State-dict keys are <c>backbone.*</c> and <c>head.*</c>.
/// </summary>
internal sealed class DistillationNetwork : Module<Tensor, Tensor>
{
    private readonly StudentBackbone backbone;
    private readonly Module<Tensor, Tensor>? head;

    public DistillationNetwork(StudentBackbone backbone, Module<Tensor, Tensor>? head) : base(nameof(DistillationNetwork))
    {
        this.backbone = backbone;
        this.head = head;
        RegisterComponents();
    }

    public StudentBackbone Backbone => backbone;

    public Module<Tensor, Tensor>? Head => head;

    /// <summary>Backbone features, then the head when there is one.</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var features = backbone.call(images);
        return scope.MoveToOuter(head is null ? features : head.call(features));
    }
}
