using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Clip;

/// <summary>Pre-LayerNorm transformer block: <c>x + attn(ln_1(x))</c>, then <c>x + mlp(ln_2(x))</c>.</summary>
internal sealed class ResidualAttentionBlock : Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly ClipSelfAttention attn;
    private readonly LayerNorm ln_2;
    private readonly ClipMlp mlp;

    // projStd: init std of both residual-branch output projections; fcStd: of mlp.c_fc (open_clip's scheme).
    public ResidualAttentionBlock(int width, int heads, double mlpRatio, bool quickGelu, bool causal, double projStd, double fcStd)
        : base(nameof(ResidualAttentionBlock))
    {
        ln_1 = LayerNorm(width);
        attn = new ClipSelfAttention(width, heads, causal, projStd);
        ln_2 = LayerNorm(width);
        mlp = new ClipMlp(width, (int)(width * mlpRatio), quickGelu, fcStd, projStd);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // The branch outputs come straight from a Linear (whose backward does not need them), so adding the
        // residual into them in place is safe under autograd and saves an allocation per block.
        var h = attn.call(ClipOps.LayerNorm(x, ln_1)).add_(x);
        var y = mlp.call(ClipOps.LayerNorm(h, ln_2)).add_(h);
        return scope.MoveToOuter(y);
    }
}

/// <summary>A stack of <see cref="ResidualAttentionBlock"/>s (<c>transformer.resblocks.{i}</c>), batch-first.</summary>
internal sealed class ClipTransformer : Module<Tensor, Tensor>
{
    private readonly ModuleList<ResidualAttentionBlock> resblocks;

    public ClipTransformer(int width, int layers, int heads, double mlpRatio, bool quickGelu, bool causal) : base("transformer")
    {
        // open_clip's initialisation: residual-branch outputs shrink with depth.
        double projStd = Math.Pow(width, -0.5) * Math.Pow(2.0 * layers, -0.5);
        double fcStd = Math.Pow(2.0 * width, -0.5);
        resblocks = new ModuleList<ResidualAttentionBlock>();
        for (int i = 0; i < layers; i++) resblocks.Add(new ResidualAttentionBlock(width, heads, mlpRatio, quickGelu, causal, projStd, fcStd));
        RegisterComponents();
    }

    /// <param name="x">Tokens, <c>[N, L, D]</c>.</param>
    public override Tensor forward(Tensor x)
    {
        Tensor current = x;
        foreach (var block in resblocks)
        {
            var next = block.call(current);
            if (!ReferenceEquals(current, x)) current.Dispose(); // autograd keeps what it needs natively
            current = next;
        }
        return ReferenceEquals(current, x) ? x.alias() : current;
    }
}
