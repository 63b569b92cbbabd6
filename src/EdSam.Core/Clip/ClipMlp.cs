using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Clip;

/// <summary>The transformer block's feed-forward network: <c>c_fc</c> → (Quick)GELU → <c>c_proj</c>.</summary>
internal sealed class ClipMlp : Module<Tensor, Tensor>
{
    private readonly Linear c_fc;
    private readonly Linear c_proj;
    private readonly bool _quickGelu;

    public ClipMlp(int width, int hidden, bool quickGelu, double fcStd, double projStd) : base("mlp")
    {
        _quickGelu = quickGelu;
        c_fc = ClipInit.Linear(width, hidden, fcStd);
        c_proj = ClipInit.Linear(hidden, width, projStd);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hidden = ClipOps.Linear(x, c_fc.weight!, c_fc.bias);
        return scope.MoveToOuter(ClipOps.Linear(ClipActivations.Apply(hidden, _quickGelu), c_proj.weight!, c_proj.bias));
    }
}

/// <summary>The two activations CLIP models use.</summary>
internal static class ClipActivations
{
    /// <summary>QuickGELU's constant: <c>x·σ(1.702·x)</c> approximates GELU (OpenAI CLIP).</summary>
    public const double QuickGeluScale = 1.702;

    /// <summary>
    /// Applies QuickGELU or exact GELU to <paramref name="x"/>, a fresh tensor the caller no longer needs. Without
    /// autograd, QuickGELU runs in place (saves two [N, L, 4D] buffers per block); with autograd it must not,
    /// because <c>mul</c> saves its inputs for the backward pass.
    /// </summary>
    public static Tensor Apply(Tensor x, bool quickGelu)
    {
        if (!quickGelu) return functional.gelu(x);
        if (is_grad_enabled()) return x.mul(x.mul(QuickGeluScale).sigmoid_());
        using var gate = x.mul(QuickGeluScale);
        gate.sigmoid_();
        return x.mul_(gate);
    }
}
