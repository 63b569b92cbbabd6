using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Clip;

/// <summary>
/// Multi-head self-attention with the parameter names of PyTorch's <c>nn.MultiheadAttention</c>
/// (<c>in_proj_weight</c>, <c>in_proj_bias</c>, <c>out_proj</c>) so OpenAI/OpenCLIP checkpoints load unchanged.
/// Works batch-first (<c>[N, L, D]</c>) and runs the fused <c>scaled_dot_product_attention</c> kernel.
/// </summary>
internal sealed class ClipSelfAttention : Module<Tensor, Tensor>
{
    private readonly Parameter in_proj_weight;
    private readonly Parameter in_proj_bias;
    private readonly Linear out_proj;
    private readonly long _heads;
    private readonly bool _causal;

    /// <param name="width">Model width D (a multiple of <paramref name="heads"/>).</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="causal">True for the text tower: token i attends to tokens ≤ i.</param>
    /// <param name="outputStd">Init std of <c>out_proj</c> (open_clip shrinks it with the depth of the stack).</param>
    public ClipSelfAttention(int width, int heads, bool causal, double outputStd) : base("attn")
    {
        if (heads <= 0 || width % heads != 0)
            throw new ArgumentException($"Attention width {width} must be a positive multiple of heads {heads}.", nameof(heads));
        _heads = heads;
        _causal = causal;
        in_proj_weight = ClipInit.Normal(Math.Pow(width, -0.5), 3L * width, width);
        in_proj_bias = ClipInit.Zeros(3L * width);
        out_proj = ClipInit.Linear(width, width, outputStd);
        RegisterComponents();
    }

    /// <param name="x">Tokens, <c>[N, L, D]</c>.</param>
    /// <returns>Attended tokens, <c>[N, L, D]</c>.</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], length = x.shape[1], width = x.shape[2];
        // One GEMM for q, k and v; the permute is a view, SDPA reads the strides.
        var qkv = ClipOps.Linear(x, in_proj_weight, in_proj_bias)
            .view(n, length, 3, _heads, width / _heads)
            .permute(2, 0, 3, 1, 4);
        var attended = functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_casual: _causal);
        var merged = attended.transpose(1, 2).reshape(n, length, width);
        return scope.MoveToOuter(ClipOps.Linear(merged, out_proj.weight!, out_proj.bias));
    }
}
