using EdSam.Clip;
using EdSam.Diffusion.Models;
using EdSam.Diffusion.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.TestSupport;

/// <summary>A small differentiable class-conditional ε-predictor (two convolutions, timestep and class biases) — enough
/// to exercise sampling loops and gradients without a UNet.</summary>
internal sealed class TinyDenoiser : nn.Module<Tensor, Tensor>, IDenoiser
{
    private readonly TorchSharp.Modules.Conv2d conv1;
    private readonly TorchSharp.Modules.Conv2d conv2;
    private readonly TorchSharp.Modules.Embedding class_embedding;

    public TinyDenoiser(int size = 8, int classes = 4, long seed = 7) : base(nameof(TinyDenoiser))
    {
        manual_seed(seed);
        conv1 = nn.Conv2d(3, 8, 3, padding: 1);
        conv2 = nn.Conv2d(8, 3, 3, padding: 1);
        class_embedding = nn.Embedding(classes + 1, 8);
        SampleShape = [3, size, size];
        RegisterComponents();
        foreach (var p in parameters()) p.requires_grad_(false);
    }

    public SchedulerConfig Scheduler { get; } = new();

    public IReadOnlyList<long> SampleShape { get; }

    public int Calls { get; private set; }

    public Tensor Predict(Tensor noisySample, Tensor timesteps, DiffusionCondition? condition = null)
    {
        Calls++;
        using var scope = NewDisposeScope();
        long n = noisySample.shape[0];
        var labels = condition?.ClassLabels ?? full(n, -1L, dtype: ScalarType.Int64);
        var classBias = class_embedding.call(labels + 1).view(n, 8, 1, 1);
        var timeBias = (timesteps.to(ScalarType.Float32) / 1000).view(n, 1, 1, 1);
        var hidden = nn.functional.tanh(conv1.call(noisySample) + classBias + timeBias);
        return scope.MoveToOuter(conv2.call(hidden));
    }

    public override Tensor forward(Tensor input) => throw new NotSupportedException();
}

internal static class TinyClip
{
    public const int ContextLength = 8;
    public const int VocabSize = 64;

    public static ClipConfig Config { get; } = new()
    {
        EmbedDim = 16,
        Vision = new ClipVisionConfig { ImageSize = 16, Layers = [1], Width = 32, PatchSize = 8, HeadWidth = 16 },
        Text = new ClipTextConfig { ContextLength = ContextLength, VocabSize = VocabSize, Width = 32, Heads = 2, Layers = 1 },
    };

    public static ClipModel Create(long seed = 3)
    {
        manual_seed(seed);
        return new ClipModel(Config);
    }

    /// <summary>A stand-in tokenizer: SOT, one id per word (a stable hash), EOT (the largest id, where CLIP pools).</summary>
    public static Tensor Tokenize(IReadOnlyList<string> texts)
    {
        var ids = new long[texts.Count, ContextLength];
        for (int i = 0; i < texts.Count; i++)
        {
            var words = texts[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(ContextLength - 2).ToArray();
            ids[i, 0] = VocabSize - 2;
            for (int w = 0; w < words.Length; w++)
                ids[i, w + 1] = 1 + (uint)words[w].Aggregate(17, (h, c) => unchecked(h * 31 + c)) % (VocabSize - 4);
            ids[i, words.Length + 1] = VocabSize - 1;
        }
        return tensor(ids);
    }
}
