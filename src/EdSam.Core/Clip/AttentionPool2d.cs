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
        positional_embedding = Parameter(randn(spatialSize * spatialSize + 1, width).div_(Math.Sqrt(width)));
        k_proj = Linear(width, width);
        q_proj = Linear(width, width);
        v_proj = Linear(width, width);
        c_proj = Linear(width, outputDim);
        using (no_grad())
            foreach (var layer in new[] { q_proj, k_proj, v_proj, c_proj })
                init.normal_(layer.weight!, std: Math.Pow(width, -0.5));
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
        var q = q_proj.call(x.narrow(1, 0, 1)).view(n, 1, _heads, headWidth).transpose(1, 2);
        var k = k_proj.call(x).view(n, length, _heads, headWidth).transpose(1, 2);
        var v = v_proj.call(x).view(n, length, _heads, headWidth).transpose(1, 2);
        var pooled = functional.scaled_dot_product_attention(q, k, v).reshape(n, width);
        return scope.MoveToOuter(c_proj.call(pooled));
    }
}
