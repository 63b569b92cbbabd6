using EdSam.Clip;
using EdSam.IO;

namespace EdSam.Demo.Tests.TestSupport;

/// <summary>
/// A small CLIP whose text tower takes OpenAI's BPE ids (vocab_size 49408), 8 px images, saved with random weights as
/// <c>config.json</c> + <c>weights.safetensors</c>: a stand-in for a real checkpoint that runs in seconds.
/// </summary>
internal static class RandomClipFiles
{
    public const int ImageSize = 8;

    public const string ConfigJson = """
        {
          "embed_dim": 16,
          "vision_cfg": { "image_size": 8, "layers": 1, "width": 32, "head_width": 16, "patch_size": 4 },
          "text_cfg": { "context_length": 24, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1 }
        }
        """;

    /// <summary>Writes the config (if absent) and weights drawn with <paramref name="seed"/> into <paramref name="folder"/>.</summary>
    public static (string Config, string Weights) Write(string folder, long seed)
    {
        string config = Path.Combine(folder, "config.json");
        if (!File.Exists(config)) File.WriteAllText(config, ConfigJson);
        string weights = Path.Combine(folder, "weights.safetensors");
        TorchSharp.torch.manual_seed(seed);
        using var model = new ClipModel(ClipConfig.Load(config));
        StateDicts.Save(model, weights);
        return (config, weights);
    }
}
