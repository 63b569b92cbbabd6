using EdSam.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Bench;

/// <summary>
/// ViT-B/32 (random weights) image and text encoding at batch 8, in fp32 and bf16, reported as items/s and
/// achieved GFLOP/s beside this CPU's matmul GFLOP/s measured in the same run.
/// </summary>
internal static class ClipEncodingBenchmark
{
    private const int Batch = 8;
    private const double ReferenceImagesPerSecond = 7.96; // OpenAI's Python implementation, fp32, 2 threads (issue #8)

    public static void Run(string modelName = "ViT-B-32")
    {
        double matmulFp32 = MatmulBenchmark.GflopsPerSecond(ScalarType.Float32);
        double matmulBf16 = MatmulBenchmark.GflopsPerSecond(ScalarType.BFloat16);
        Console.WriteLine($"matmul {MatmulBenchmark.Size}³: fp32 {matmulFp32:F1} GFLOP/s, bf16 {matmulBf16:F1} GFLOP/s");

        var config = ClipConfig.Named(modelName);
        double imageGflop = 2 * ClipFlops.ImageMultiplyAdds(config) / 1e9;
        double textGflop = 2 * ClipFlops.TextMultiplyAdds(config) / 1e9;
        Console.WriteLine($"{modelName}: {imageGflop:F2} GFLOP per image, {textGflop:F2} GFLOP per text; batch {Batch}");

        torch.manual_seed(0);
        using var model = new ClipModel(config);
        model.eval();
        using var images = randn(Batch, 3, config.Vision.ImageSize, config.Vision.ImageSize);
        using var tokens = RandomTokens(config);

        using var fp32Features = Encode(model, images, tokens, ScalarType.Float32, out var fp32);
        Report("fp32", fp32, imageGflop, textGflop, matmulFp32);

        model.to(ScalarType.BFloat16);
        using var bf16Features = Encode(model, images, tokens, ScalarType.BFloat16, out var bf16);
        // Judged against the fp32 rate: on CPUs without native bf16, libtorch's bf16 matmul is not a meaningful yardstick.
        Report("bf16", bf16, imageGflop, textGflop, Math.Max(matmulBf16, matmulFp32));
        double cosine = nn.functional.cosine_similarity(fp32Features, bf16Features.to(ScalarType.Float32), 1).min().item<float>();
        Console.WriteLine($"bf16 image features vs fp32: min cosine {cosine:F5} (target ≥ 0.999)");
        Console.WriteLine($"bf16 images/s vs the reference's {ReferenceImagesPerSecond} images/s: {bf16.ImagesPerSecond / ReferenceImagesPerSecond:F2}× (target ≥ 4×)");
    }

    private sealed record Throughput(double ImagesPerSecond, double TextsPerSecond);

    private static Tensor Encode(ClipModel model, Tensor images, Tensor tokens, ScalarType dtype, out Throughput throughput)
    {
        using var typedImages = images.to(dtype);
        using var noGrad = inference_mode();
        double imageSeconds = Timing.MedianSeconds(() => { using var s = NewDisposeScope(); model.EncodeImage(typedImages); }, warmup: 1, repeats: 3);
        double textSeconds = Timing.MedianSeconds(() => { using var s = NewDisposeScope(); model.EncodeText(tokens); }, warmup: 1, repeats: 3);
        throughput = new Throughput(Batch / imageSeconds, Batch / textSeconds);
        return model.EncodeImage(typedImages).to(ScalarType.Float32);
    }

    private static void Report(string label, Throughput t, double imageGflop, double textGflop, double matmulGflops)
    {
        double imageRate = t.ImagesPerSecond * imageGflop, textRate = t.TextsPerSecond * textGflop;
        Console.WriteLine($"{label}: image {t.ImagesPerSecond,7:F2} img/s = {imageRate,6:F1} GFLOP/s ({imageRate / matmulGflops:P0} of matmul); " +
                          $"text {t.TextsPerSecond,7:F2} texts/s = {textRate,6:F1} GFLOP/s ({textRate / matmulGflops:P0} of matmul)");
    }

    private static Tensor RandomTokens(ClipConfig config)
    {
        // SOT, random ids, EOT (the largest id, where EncodeText pools), zero padding — like real prompts.
        var tokens = zeros(Batch, config.Text.ContextLength, dtype: ScalarType.Int64);
        int vocab = config.Text.VocabSize;
        var random = new Random(0);
        for (int i = 0; i < Batch; i++)
        {
            int length = random.Next(5, 20);
            tokens[i, 0] = vocab - 2;
            for (int j = 1; j <= length; j++) tokens[i, j] = random.Next(1, vocab - 2);
            tokens[i, length + 1] = vocab - 1;
        }
        return tokens;
    }
}
