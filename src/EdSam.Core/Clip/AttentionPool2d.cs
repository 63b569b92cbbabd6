using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Clip;

/// <summary>
/// ModifiedResNet's attention pooling (<c>visual.attnpool.*</c>): the mean of the feature map, prepended to the
/// flattened map with <c>positional_embedding</c> added, queries all positions through multi-head attention
/// (<c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>); <c>c_proj</c> maps the result to the embedding size.
/// </summary>
internal sealed class AttentionPool2d : Module<Tensor, Tensor>
{
    private readonly Parameter positional_embedding;
    private readonly Linear k_proj;
    private readonly Linear q_proj;
    private readonly Linear v_proj;
    private readonly Linear c_proj;
    private readonly long _heads;

    public AttentionPool2d(int spatialSize, int width, int heads, int outputDim) : base("attnpool")
    {
        _heads = heads;
        double std = Math.Pow(width, -0.5);
        positional_embedding = ClipInit.Normal(std, spatialSize * spatialSize + 1, width);
        k_proj = ClipInit.Linear(width, width, std);
        q_proj = ClipInit.Linear(width, width, std);
        v_proj = ClipInit.Linear(width, width, std);
        c_proj = ClipInit.Linear(width, outputDim, std);
        RegisterComponents();
    }

    /// <param name="features">The last stage's feature map, <c>[N, C, H, W]</c>.</param>
    /// <returns><c>[N, output_dim]</c>.</returns>
    public override Tensor forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = features.flatten(2).transpose(1, 2);                              // [N, HW, C]
        long n = x.shape[0], width = x.shape[2], headWidth = width / _heads;
        x = cat([x.mean([1], keepdim: true), x], 1).add_(positional_embedding);   // [N, HW+1, C]
        long length = x.shape[1];

        // Only the mean token queries; keys and values are every position.
        var q = ClipOps.Linear(x.narrow(1, 0, 1), q_proj.weight!, q_proj.bias).view(n, 1, _heads, headWidth).transpose(1, 2);
        var k = ClipOps.Linear(x, k_proj.weight!, k_proj.bias).view(n, length, _heads, headWidth).transpose(1, 2);
        var v = ClipOps.Linear(x, v_proj.weight!, v_proj.bias).view(n, length, _heads, headWidth).transpose(1, 2);
        var pooled = functional.scaled_dot_product_attention(q, k, v).reshape(n, width);
        return scope.MoveToOuter(ClipOps.Linear(pooled, c_proj.weight!, c_proj.bias));
    }
}
