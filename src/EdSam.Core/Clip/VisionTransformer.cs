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
    private readonly Conv2d conv1;
    private readonly Parameter class_embedding;
    private readonly Parameter positional_embedding;
    private readonly LayerNorm ln_pre;
    private readonly ClipTransformer transformer;
    private readonly LayerNorm ln_post;
    private readonly Parameter proj;

    public VisionTransformer(ClipVisionConfig config, int embedDim, bool quickGelu) : base("visual")
    {
        int width = config.Width, patch = config.PatchSize!.Value, grid = config.ImageSize / patch;
        double scale = Math.Pow(width, -0.5);
        conv1 = Conv2d(3, width, kernel_size: patch, stride: patch, bias: false);
        class_embedding = Parameter(randn(width).mul_(scale));
        positional_embedding = Parameter(randn(grid * grid + 1, width).mul_(scale));
        ln_pre = LayerNorm(width);
        transformer = new ClipTransformer(width, config.Layers[0], config.Heads, config.MlpRatio, quickGelu, causal: false);
        ln_post = LayerNorm(width);
        proj = Parameter(randn(width, embedDim).mul_(scale));
        RegisterComponents();
    }

    /// <param name="images">Normalised pixels, <c>[N, 3, S, S]</c>.</param>
    /// <returns>Image embeddings, <c>[N, embed_dim]</c>.</returns>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var patches = conv1.call(images).flatten(2).transpose(1, 2);            // [N, grid², W]
        long n = patches.shape[0], width = patches.shape[2];
        var classToken = class_embedding.view(1, 1, width).expand(n, 1, width);
        var tokens = cat([classToken, patches], 1).add_(positional_embedding); // cat makes a fresh tensor
        var encoded = transformer.call(ln_pre.call(tokens));
        var pooled = ln_post.call(encoded.select(1, 0));
        return scope.MoveToOuter(pooled.matmul(proj));
    }
}
