using EdSam.Clip;
using EdSam.Imaging;
using EdSam.IO;
using EdSam.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Cli.Tests.TestSupport;

/// <summary>Models and images the tests make.</summary>
public static class TestModels
{
    /// <summary>A tiny ViT CLIP (narrow, one layer) whose text tower has the full 49,408-token vocabulary, so
    /// real BPE ids fit. Random (seeded) weights.</summary>
    public const string FullVocabConfigJson = """
        {
          "embed_dim": 16,
          "quick_gelu": true,
          "vision_cfg": { "image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16 },
          "text_cfg": { "context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1 }
        }
        """;

    private static readonly Lazy<string> SharedModelFolder = new(() =>
    {
        string folder = Path.Combine(Path.GetTempPath(), $"edsam-cli-model-{Environment.ProcessId}-{Guid.NewGuid():N}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(folder, true); } catch (IOException) { } };
        return WriteModelFolder(folder);
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The OpenCLIP-layout model folder (config, weights, the BPE file from the shared fixtures), written once
    /// per test run and shared read-only (commands only read it); skips the test where the fixtures are absent.</summary>
    public static string FullVocabModelFolder()
    {
        SharedFixtures.Clip("bpe_simple_vocab_16e6.txt.gz");
        return SharedModelFolder.Value;
    }

    private static string WriteModelFolder(string folder)
    {
        string bpe = SharedFixtures.Clip("bpe_simple_vocab_16e6.txt.gz");
        Directory.CreateDirectory(folder);
        File.Copy(bpe, Path.Combine(folder, "bpe_simple_vocab_16e6.txt.gz"));
        File.WriteAllText(Path.Combine(folder, ClipPretrained.OpenClipConfigFile), $$"""{ "model_cfg": {{FullVocabConfigJson}}, "preprocess_cfg": {} }""");
        manual_seed(1234);
        using var model = new ClipModel(ClipConfig.FromJsonText(FullVocabConfigJson, "test config"));
        var stateDict = model.state_dict();
        SafeTensors.Save(Path.Combine(folder, ClipPretrained.OpenClipWeightsFile), stateDict);
        return folder;
    }

    /// <summary>Loads the model of <see cref="FullVocabModelFolder"/>, straight from its weights file.</summary>
    public static ClipModel LoadFullVocabModel(string folder)
    {
        var model = ClipModel.FromPretrained(ClipConfig.FromJsonText(FullVocabConfigJson, "test config"), Path.Combine(folder, ClipPretrained.OpenClipWeightsFile));
        model.eval();
        return model;
    }

    /// <summary>Writes a DomainBed folder <c>root/domain/class/i.png</c> of small coloured images (class 0 reddish,
    /// class 1 bluish, domains differ in brightness and size).</summary>
    public static string WriteDomainBed(string root, string[] domains, string[] classes, int perClass)
    {
        for (int d = 0; d < domains.Length; d++)
            for (int c = 0; c < classes.Length; c++)
                for (int i = 0; i < perClass; i++)
                {
                    float shade = 0.4f + 0.5f * (d + 1) / domains.Length;
                    WriteSolidPng(Path.Combine(root, domains[d], classes[c], $"{i}.png"), c == 0 ? shade : 0.1f * i, 0.2f, c == 1 ? shade : 0.1f * i, 24 + 4 * d, 28 + i);
                }
        return root;
    }

    /// <summary>Writes a solid-colour PNG of the given size; <paramref name="rgb"/> in [0, 1].</summary>
    public static string WriteSolidPng(string path, float r, float g, float b, int height = 40, int width = 48)
    {
        using var pixels = tensor(new[] { r, g, b }).reshape(3, 1, 1).expand(3, height, width).contiguous();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ImageEncoder.SavePng(path, pixels);
        return path;
    }

    /// <summary>Writes a PNG with a horizontal gradient in one channel (an image with structure).</summary>
    public static string WriteGradientPng(string path, int channel, int height = 36, int width = 36)
    {
        using var ramp = linspace(0, 1, width).reshape(1, 1, width).expand(3, height, width).contiguous();
        using var mask = zeros(3, 1, 1);
        mask[channel] = tensor(1f);
        using var image = (ramp * mask + 0.1f).clamp(0, 1);
        ImageEncoder.SavePng(path, image);
        return path;
    }
}
