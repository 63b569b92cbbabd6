using EdSam.Diffusion.Models;

namespace EdSam.Diffusion.Tests.TestSupport;

/// <summary>Smallest useful UNet configurations, so every test runs in well under a second.</summary>
internal static class TinyConfigs
{
    /// <summary>Two levels (16 → 8 px), 8–16 channels, attention at 8 px.</summary>
    public static UNet2DConfig UNet(int imageSize = 16, int channels = 3, int? classes = null, int? textDim = null) => new()
    {
        ImageSize = imageSize, InChannels = channels, OutChannels = channels,
        BaseChannels = 8, ChannelMultipliers = [1, 2], LayersPerBlock = 1,
        AttentionResolutions = [imageSize / 2], AttentionHeadDim = 8, NormGroups = 4, TimeEmbeddingDim = 32,
        NumClasses = classes, TextEmbeddingDim = textDim,
    };
}
