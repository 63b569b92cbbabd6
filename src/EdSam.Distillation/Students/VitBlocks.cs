using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation.Students;

/// <summary>timm's <c>PatchEmbed</c>: a <c>proj</c> convolution with kernel = stride = patch size, flattened to tokens.</summary>
internal sealed class VitPatchEmbed : Module<Tensor, Tensor>
{
    private readonly Conv2d proj;

    public VitPatchEmbed(int patchSize, int width) : base("patch_embed")
    {
        proj = Conv2d(3, width, patchSize, stride: patchSize);
        RegisterComponents();
    }

    /// <returns>Patch tokens <c>[N, grid², D]</c>.</returns>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(proj.call(images).flatten(2).transpose(1, 2));
    }
}

/// <summary>timm's <c>Attention</c>: fused <c>qkv</c> linear, scaled dot-product attention, <c>proj</c> linear.</summary>
internal sealed class VitAttention : Module<Tensor, Tensor>
{
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly long _heads;

    public VitAttention(int width, int heads) : base("attn")
    {
        qkv = Linear(width, 3L * width);
        proj = Linear(width, width);
        _heads = heads;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], length = x.shape[1], width = x.shape[2];
        var qkvHeads = qkv.call(x).view(n, length, 3, _heads, width / _heads).permute(2, 0, 3, 1, 4);
        var attended = functional.scaled_dot_product_attention(qkvHeads[0], qkvHeads[1], qkvHeads[2]);
        return scope.MoveToOuter(proj.call(attended.transpose(1, 2).reshape(n, length, width)));
    }
}

/// <summary>timm's <c>Mlp</c>: <c>fc1</c> → exact GELU → <c>fc2</c>.</summary>
internal sealed class VitMlp : Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    public VitMlp(int width, int hidden) : base("mlp")
    {
        fc1 = Linear(width, hidden);
        fc2 = Linear(hidden, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(fc2.call(functional.gelu(fc1.call(x))));
    }
}

/// <summary>timm's pre-norm <c>Block</c>: x + attn(norm1(x)), then x + mlp(norm2(x)).</summary>
internal sealed class VitBlock : Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly VitAttention attn;
    private readonly LayerNorm norm2;
    private readonly VitMlp mlp;

    public VitBlock(int width, int heads, int mlpWidth) : base("Block")
    {
        norm1 = LayerNorm(width, eps: 1e-6);
        attn = new VitAttention(width, heads);
        norm2 = LayerNorm(width, eps: 1e-6);
        mlp = new VitMlp(width, mlpWidth);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = x.add(attn.call(norm1.call(x)));
        // Out of place: LayerNorm saved y for its backward pass.
        y = y.add(mlp.call(norm2.call(y)));
        return scope.MoveToOuter(y);
    }
}
