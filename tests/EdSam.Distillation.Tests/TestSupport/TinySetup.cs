using EdSam.Clip;
using EdSam.Data;
using EdSam.Distillation.Students;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.TestSupport;

/// <summary>A tiny CLIP teacher, a toy tokenizer and a tiny three-domain, two-class data set, all made by the tests.</summary>
internal static class TinySetup
{
    public const int ImageSize = 16;

    public static ClipConfig TeacherConfig { get; } = new()
    {
        EmbedDim = 16,
        QuickGelu = true,
        Vision = new ClipVisionConfig { ImageSize = ImageSize, Layers = [1], Width = 32, PatchSize = 8, HeadWidth = 16 },
        Text = new ClipTextConfig { ContextLength = 12, VocabSize = 64, Width = 32, Heads = 2, Layers = 1 },
    };

    /// <summary>A randomly initialised CLIP (seeded), in eval mode, with a trained CLIP's temperature exp(logit_scale) = 100.</summary>
    public static ClipModel Teacher(long seed = 7)
    {
        manual_seed(seed);
        var model = new ClipModel(TeacherConfig);
        model.eval();
        using (no_grad()) model.named_parameters().Single(p => p.name == "logit_scale").parameter.fill_(Math.Log(100));
        return model;
    }

    /// <summary>Characters → ids in [1, 61]; SOT = 62, EOT = 63 (the largest id, so CLIP pools at it); zero-padded.</summary>
    public static Tensor Tokenize(IReadOnlyList<string> prompts)
    {
        int context = TeacherConfig.Text.ContextLength;
        var ids = new long[prompts.Count, context];
        for (int p = 0; p < prompts.Count; p++)
        {
            var chars = prompts[p].Take(context - 2).ToArray();
            ids[p, 0] = 62;
            for (int i = 0; i < chars.Length; i++) ids[p, i + 1] = 1 + chars[i] % 61;
            ids[p, chars.Length + 1] = 63;
        }
        return tensor(ids);
    }

    public static readonly string[] Domains = ["photo", "art_painting", "sketch"];
    public static readonly string[] Classes = ["dog", "guitar"];

    /// <summary>Class 0 is reddish, class 1 bluish; each domain shifts brightness and adds its own seeded noise.</summary>
    public static DomainDataset Dataset(int perClassPerDomain = 6)
    {
        var byDomain = new List<KeyValuePair<string, IReadOnlyList<Example>>>();
        for (int d = 0; d < Domains.Length; d++)
        {
            var examples = new List<Example>();
            for (int c = 0; c < Classes.Length; c++)
            {
                for (int i = 0; i < perClassPerDomain; i++)
                {
                    int seed = (d * 100 + c) * 100 + i;
                    int label = c;
                    double shift = 0.15 * d;
                    var image = ImageSource.FromFactory(() =>
                    {
                        using var generator = new Generator((ulong)seed);
                        using var noise = rand([3, ImageSize + 4, ImageSize + 4], generator: generator);
                        using var basis = tensor(label == 0 ? new float[] { 0.8f, 0.2f, 0.2f } : [0.2f, 0.2f, 0.8f]).reshape(3, 1, 1);
                        using var mixed = basis.mul(0.7).add(noise.mul(0.3)).add(shift);
                        return mixed.clamp(0, 1);
                    }, $"{Domains[d]}/{Classes[c]}/{i}");
                    examples.Add(new Example($"{Domains[d]}-{c}-{i}", image) { Label = c, Domain = Domains[d] });
                }
            }
            byDomain.Add(new(Domains[d], examples));
        }
        return new DomainDataset("tiny", Classes, byDomain);
    }

    public static DomainSplit Split() => Dataset().LeaveOneDomainOut("sketch", seed: 3, holdoutFraction: 0.34);

    /// <summary>Fast options on the tiny setup: TinyResNet, 3 + 4 steps, 2 images per domain per step, evaluation every 2 steps.</summary>
    public static Vl2vAdipOptions Options(ClipModel teacher) => new()
    {
        Teacher = teacher,
        Tokenize = Tokenize,
        Student = StudentArchitecture.TinyResNet,
        AlignSteps = 3,
        DistillSteps = 4,
        EvaluateEvery = 2,
        BatchSizePerDomain = 2,
        LearningRate = 1e-3,
        Seed = 11,
    };

    /// <summary>Clones of every state-dict entry (parameters and buffers).</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module module)
    {
        using var noGrad = no_grad();
        return module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
    }

    /// <summary>Bitwise equality of two tensors (same shape, every element equal).</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var scope = NewDisposeScope();
        return a.eq(b).all().item<bool>();
    }

    public static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
    }
}
