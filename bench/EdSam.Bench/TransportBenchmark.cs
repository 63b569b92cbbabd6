using EdSam.Clip;
using EdSam.Diffusion.Models;
using EdSam.Diffusion.Sampling;
using EdSam.Diffusion.Transport;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Bench;

/// <summary>
/// Cost of one transported sample (encode, diffuse to t₀, shift, DDIM from t₀, decode) against one plain DDIM sample
/// with the same number of denoiser calls (target ≤ 1.3×), and of the guided mode, on the Tiny UNet at 32 px.
/// </summary>
internal static class TransportBenchmark
{
    private const int Batch = 8, Steps = 10, ImageSize = 32;

    public static void Run()
    {
        manual_seed(0);
        using var unet = new UNet2D(UNet2DConfig.Tiny(ImageSize));
        unet.eval();
        using var images = rand(Batch, 3, ImageSize, ImageSize);
        var plainScheduler = new EdSam.Diffusion.Schedulers.DdimScheduler(unet.Scheduler);

        double plain = Timing.MedianSeconds(() =>
        {
            using var scope = NewDisposeScope();
            DiffusionSampler.Sample(unet, plainScheduler, Batch, null, Steps, new Generator(1));
        }, warmup: 1, repeats: 5) / Batch;

        var transport = new TransportTransformation(unet, new TransportOptions { SamplingSteps = Steps, Seed = 1, SamplesPerImage = 1 });
        double transported = Timing.MedianSeconds(() =>
        {
            using var scope = NewDisposeScope();
            transport.Transform(images, null, new Generator(1)).Images.Dispose();
        }, warmup: 1, repeats: 5) / Batch;

        // M = 1 so both sides denoise batches of the same size with the same number of UNet calls.
        Console.WriteLine($"Tiny UNet {ImageSize} px, batch {Batch}, {Steps} DDIM steps, one sample per image:");
        Console.WriteLine($"  plain DDIM sample:  {plain * 1000,8:F1} ms/sample");
        Console.WriteLine($"  transported sample: {transported * 1000,8:F1} ms/sample = {transported / plain:F2}× plain (target ≤ 1.3×)");

        // Guided mode: a few gradient steps on α through a short differentiable decode and a tiny CLIP.
        var clipConfig = ClipConfig.FromJsonText("""
        { "embed_dim": 32, "quick_gelu": true,
          "vision_cfg": { "image_size": 32, "layers": 2, "width": 64, "head_width": 64, "patch_size": 8 },
          "text_cfg": { "context_length": 77, "vocab_size": 1000, "width": 64, "heads": 2, "layers": 2 } }
        """);
        using var clip = new ClipModel(clipConfig);
        clip.eval();
        var guidance = new ClipGuidance(clip, texts => TinyTokens(texts, clipConfig.Text.VocabSize));
        var guided = new TransportTransformation(unet, new TransportOptions { SamplingSteps = Steps, Seed = 1, SamplesPerImage = 1, Guided = true }, guidance);
        var captions = Enumerable.Range(0, Batch).Select(i => $"a sketch of class {i % 4}").ToList();
        double guidedSeconds = Timing.MedianSeconds(() =>
        {
            using var scope = NewDisposeScope();
            guided.Transform(images, null, new Generator(1), captions).Images.Dispose();
        }, warmup: 1, repeats: 3) / Batch;
        Console.WriteLine($"  guided transported: {guidedSeconds * 1000,8:F1} ms/sample = {guidedSeconds / plain:F2}× plain " +
                          $"({guided.Options.GuidedSteps} ascent steps through a {guided.Options.GuidedDecodeSteps}-step decode)");
    }

    // Stand-in token rows for the tiny CLIP's 1,000-id vocabulary: cost depends on shapes, not on the ids.
    private static Tensor TinyTokens(IReadOnlyList<string> texts, int vocab)
    {
        var tokens = zeros(texts.Count, 77, dtype: ScalarType.Int64);
        for (int i = 0; i < texts.Count; i++)
        {
            tokens[i, 0] = vocab - 2;
            int length = Math.Min(texts[i].Length, 20);
            for (int j = 1; j <= length; j++) tokens[i, j] = 1 + texts[i][j - 1] % (vocab - 3);
            tokens[i, length + 1] = vocab - 1;
        }
        return tokens;
    }
}
