using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Clip;

/// <summary>
/// CLIP's ViT image tower (<c>visual.*</c>): patchify with <c>conv1</c>, prepend <c>class_embedding</c>, add
/// <c>positional_embedding</c>, <c>ln_pre</c>, transformer, <c>ln_post</c> on the class token, then <c>@ proj</c>.
/// </summary>
internal sealed class VisionTransformer : Module<Tensor, Tensor>
{
    private readonly ConvWeight conv1;
    private readonly Parameter class_embedding;
    private readonly Parameter positional_embedding;
    private readonly LayerNorm ln_pre;
    private readonly ClipTransformer transformer;
    private readonly LayerNorm ln_post;
    private readonly Parameter proj;
    private readonly long _patch;

    public VisionTransformer(ClipVisionConfig config, int embedDim, bool quickGelu) : base("visual")
    {
        int width = config.Width, patch = config.PatchSize!.Value, grid = config.ImageSize / patch;
        double scale = Math.Pow(width, -0.5);
        _patch = patch;
        conv1 = new ConvWeight(3, width, patch);
        class_embedding = ClipInit.Normal(scale, width);
        positional_embedding = ClipInit.Normal(scale, grid * grid + 1, width);
        ln_pre = LayerNorm(width);
        transformer = new ClipTransformer(width, config.Layers[0], config.Heads, config.MlpRatio, quickGelu, causal: false);
        ln_post = LayerNorm(width);
        proj = ClipInit.Normal(scale, width, embedDim);
        RegisterComponents();
    }

    /// <param name="images">Normalised pixels, <c>[N, 3, S, S]</c>.</param>
    /// <returns>Image embeddings, <c>[N, embed_dim]</c>.</returns>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var patches = ClipOps.Conv2d(images, conv1.Weight, stride: _patch).flatten(2).transpose(1, 2);            // [N, grid², W]
        long n = patches.shape[0], width = patches.shape[2];
        var classToken = class_embedding.view(1, 1, width).expand(n, 1, width);
        var tokens = cat([classToken, patches], 1).add_(positional_embedding); // cat makes a fresh tensor
        var encoded = transformer.call(ClipOps.LayerNorm(tokens, ln_pre));
        var pooled = ClipOps.LayerNorm(encoded.select(1, 0), ln_post);
        return scope.MoveToOuter(ClipOps.MatMul(pooled, proj));
    }
}
