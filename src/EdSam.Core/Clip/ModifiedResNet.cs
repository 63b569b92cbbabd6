using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Clip;

/// <summary>
/// OpenAI's ModifiedResNet image tower (<c>visual.*</c>): a three-convolution stem (<c>conv1</c>/<c>bn1</c>,
/// <c>conv2</c>/<c>bn2</c>, <c>conv3</c>/<c>bn3</c>, ReLU, 2×2 average pool), four stages of anti-aliased
/// <see cref="Bottleneck"/>s (<c>layer1</c>…<c>layer4</c>) and an <see cref="AttentionPool2d"/> head.
/// </summary>
internal sealed class ModifiedResNet : Module<Tensor, Tensor>
{
    private readonly ConvWeight conv1;
    private readonly BatchNorm2d bn1;
    private readonly ConvWeight conv2;
    private readonly BatchNorm2d bn2;
    private readonly ConvWeight conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly AttentionPool2d attnpool;

    public ModifiedResNet(ClipVisionConfig config, int embedDim) : base("visual")
    {
        int width = config.Width;
        conv1 = new ConvWeight(3, width / 2, 3);
        bn1 = BatchNorm2d(width / 2);
        conv2 = new ConvWeight(width / 2, width / 2, 3);
        bn2 = BatchNorm2d(width / 2);
        conv3 = new ConvWeight(width / 2, width, 3);
        bn3 = BatchNorm2d(width);

        int inPlanes = width;
        layer1 = Stage(ref inPlanes, width, config.Layers[0], stride: 1);
        layer2 = Stage(ref inPlanes, width * 2, config.Layers[1], stride: 2);
        layer3 = Stage(ref inPlanes, width * 4, config.Layers[2], stride: 2);
        layer4 = Stage(ref inPlanes, width * 8, config.Layers[3], stride: 2);

        attnpool = new AttentionPool2d(config.ImageSize / 32, width * 32, config.Heads, embedDim);
        RegisterComponents();
    }

    private static Sequential Stage(ref int inPlanes, int planes, int blocks, int stride)
    {
        var modules = new List<(string, Module<Tensor, Tensor>)> { ("0", new Bottleneck(inPlanes, planes, stride)) };
        inPlanes = planes * Bottleneck.Expansion;
        for (int i = 1; i < blocks; i++) modules.Add((i.ToString(System.Globalization.CultureInfo.InvariantCulture), new Bottleneck(inPlanes, planes, 1)));
        return Sequential(modules);
    }

    /// <param name="images">Normalised pixels, <c>[N, 3, S, S]</c>.</param>
    /// <returns>Image embeddings, <c>[N, embed_dim]</c>.</returns>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = functional.relu(bn1.call(ClipOps.Conv2d(images, conv1.Weight, stride: 2, padding: 1)));
        x = functional.relu(bn2.call(ClipOps.Conv2d(x, conv2.Weight, padding: 1)));
        x = functional.relu(bn3.call(ClipOps.Conv2d(x, conv3.Weight, padding: 1)));
        x = functional.avg_pool2d(x, 2);
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return scope.MoveToOuter(attnpool.call(x));
    }
}
