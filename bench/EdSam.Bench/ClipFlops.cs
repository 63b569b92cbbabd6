using EdSam.Clip;

namespace EdSam.Bench;

/// <summary>
/// Multiply-adds of one CLIP forward pass, counted from the configuration: per transformer layer and token,
/// 4w² (q, k, v, out projections) + 2·mlp·w² (MLP) + 2·n·w (attention scores and their weighted sum).
/// For ViT-B/32 at 224 px this gives 4.41 G multiply-adds per image, the published figure.
/// </summary>
internal static class ClipFlops
{
    public static double ImageMultiplyAdds(ClipConfig config)
    {
        var v = config.Vision;
        if (v.PatchSize is not int patch) throw new NotSupportedException("FLOP counting is implemented for Vision Transformers");
        int patches = (v.ImageSize / patch) * (v.ImageSize / patch);
        int tokens = patches + 1;
        double patchEmbedding = (double)patches * 3 * patch * patch * v.Width;
        double transformer = Transformer(v.Layers[0], tokens, v.Width, v.MlpRatio);
        return patchEmbedding + transformer + (double)v.Width * config.EmbedDim;
    }

    public static double TextMultiplyAdds(ClipConfig config)
    {
        var t = config.Text;
        return Transformer(t.Layers, t.ContextLength, t.Width, t.MlpRatio) + (double)t.Width * config.EmbedDim;
    }

    private static double Transformer(int layers, int tokens, int width, double mlpRatio) =>
        (double)layers * tokens * ((4 + 2 * mlpRatio) * width * width + 2.0 * tokens * width);
}
