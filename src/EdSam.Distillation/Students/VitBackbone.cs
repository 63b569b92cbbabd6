using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Distillation.Students;

/// <summary>
/// A Vision Transformer with timm's architecture and state-dict keys (<c>cls_token</c>, <c>pos_embed</c>,
/// <c>patch_embed.proj</c>, <c>blocks.{i}.norm1</c>, <c>blocks.{i}.attn.qkv</c>, <c>blocks.{i}.attn.proj</c>,
/// <c>blocks.{i}.norm2</c>, <c>blocks.{i}.mlp.fc1/fc2</c>, <c>norm</c>, <c>head</c>) whose <c>forward</c> returns the
/// class token after the final <c>norm</c>, <c>[N, Width]</c>; <c>head</c> is kept for the key layout only.
/// </summary>
/// <remarks>
/// Initialisation follows timm's default (<c>init_weights_vit_timm</c>): truncated normal (σ = 0.02, cut at ±2)
/// for <c>pos_embed</c> and every Linear (zero bias), N(0, 10⁻⁶) for <c>cls_token</c>, PyTorch's default for the
/// patch convolution (U(±1/√fan_in)), LayerNorm weight 1 / bias 0.
/// </remarks>
public sealed class VitBackbone : StudentBackbone
{
    private readonly Parameter cls_token;
    private readonly Parameter pos_embed;
    private readonly VitPatchEmbed patch_embed;
    private readonly ModuleList<VitBlock> blocks;
    private readonly LayerNorm norm;
    private readonly Linear head;

    /// <summary>Builds a randomly initialised ViT (timm's initialisation) in training mode, fp32, on the CPU.</summary>
    /// <param name="config">The architecture, for example <see cref="VitConfig.Small16"/>; validated here.</param>
    /// <param name="generator">Source of the initial values (seeded for a repeatable model); null for torch's global generator.</param>
    /// <exception cref="ArgumentException">The config is invalid (all problems listed).</exception>
    public VitBackbone(VitConfig config, Generator? generator = null) : base("VisionTransformer")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;

        cls_token = Parameter(zeros(1, 1, config.Width));
        pos_embed = Parameter(zeros(1, config.Tokens, config.Width));
        patch_embed = new VitPatchEmbed(config.PatchSize, config.Width);
        blocks = new ModuleList<VitBlock>(Enumerable.Range(0, config.Depth)
            .Select(_ => new VitBlock(config.Width, config.Heads, config.MlpWidth)).ToArray());
        norm = LayerNorm(config.Width, eps: 1e-6);
        head = Linear(config.Width, config.NumClasses);
        RegisterComponents();
        InitializeLikeTimm(generator);
    }

    /// <summary>The architecture.</summary>
    public VitConfig Config { get; }

    /// <inheritdoc/>
    public override int FeatureDim => Config.Width;

    /// <inheritdoc/>
    public override string ClassifierPrefix => "head.";

    /// <inheritdoc/>
    public override int? ImageSize => Config.ImageSize;

    /// <summary>Class-token features.</summary>
    /// <param name="images">Normalised pixels <c>[N, 3, ImageSize, ImageSize]</c>; converted to the model's dtype and device.</param>
    /// <returns>Features <c>[N, Width]</c>: the class token after the final LayerNorm.</returns>
    /// <exception cref="ArgumentException">The input is not <c>[N, 3, ImageSize, ImageSize]</c> floating point.</exception>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = patch_embed.call(PrepareInput(images, cls_token));
        long n = x.shape[0];
        x = cat([cls_token.expand(n, -1, -1), x], 1).add_(pos_embed);
        foreach (var block in blocks) x = block.call(x);
        // LayerNorm acts per token, so normalising only the class token equals timm's norm-then-select.
        return scope.MoveToOuter(norm.call(x.select(1, 0)));
    }

    private void InitializeLikeTimm(Generator? generator)
    {
        Initializers.TruncatedNormal(pos_embed, mean: 0, std: 0.02, a: -2, b: 2, generator);
        Initializers.Normal(cls_token, mean: 0, std: 1e-6, generator);
        foreach (var module in modules())
        {
            switch (module)
            {
                case Linear linear:
                    Initializers.TruncatedNormal(linear.weight!, mean: 0, std: 0.02, a: -2, b: 2, generator);
                    if (linear.bias is { } bias) using (no_grad()) bias.zero_();
                    break;
                case Conv2d conv:
                    Initializers.PyTorchDefault(conv.weight!, conv.bias, generator);
                    break;
            }
        }
    }
}
