using EdSam.Clip;
using EdSam.Data;
using EdSam.Data.FashionMnist;
using EdSam.Diffusion.Tests.TestSupport;
using EdSam.Diffusion.Transport;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests;

/// <summary>The whole ED-SAM path on real parts: Fashion-MNIST-DG captions and a leave-one-domain-out split, the
/// shared tiny CLIP checkpoint and the OpenAI BPE vocabulary, offline shards, training, zero-shot evaluation.</summary>
public sealed class EdSamTrainerEndToEndTests
{
    [SkippableFact]
    public void Offline_shards_then_training_on_a_domain_split_then_zero_shot_evaluation()
    {
        string? clipFolder = FindClipFixtures();
        Skip.If(clipFolder is null, "../shared/fixtures/clip is absent");
        var data = FashionMnistDg.Load(new FashionMnistDgOptions
        {
            MaxPerDomain = 6, Domains = [FashionMnistDomain.Photo, FashionMnistDomain.Negative, FashionMnistDomain.Sketch],
        });
        var split = data.LeaveOneDomainOut(data.Domains[2], seed: 0, holdoutFraction: 0);
        split.Train.Should().OnlyContain(e => !string.IsNullOrEmpty(e.Caption) && e.Caption.Contains(e.Domain!));
        using var clip = ClipModel.FromPretrained(Path.Combine(clipFolder!, "tiny-vit.config.json"), Path.Combine(clipFolder!, "tiny-vit.safetensors"));
        var tokenizer = ClipTokenizer.FromBpeFile(Path.Combine(clipFolder!, "bpe_simple_vocab_16e6.txt.gz"));
        // The tiny checkpoint has a 1,000-token vocabulary (SOT = 998, EOT = 999): fold the real BPE ids into it,
        // keeping EOT the largest id of each row so CLIP pools at the right place.
        Tensor Tokenize(IReadOnlyList<string> texts)
        {
            using var ids = tokenizer.Tokenize(texts, clip.ContextLength);
            return where(ids.eq(49407), 999L, where(ids.eq(49406), 998L, where(ids.eq(0), 0L, ids.remainder(997) + 1)));
        }
        using var folder = new TemporaryFolder();
        using var denoiser = new TinyDenoiser(classes: 10);
        var sampler = new AdversarialDiffusionSampler(
            new TransportTransformation(denoiser, new TransportOptions { SamplesPerImage = 2, SamplingSteps = 2 }), batchSize: 6);

        var job = new AugmentationJob(sampler, new AugmentationJobOptions { OutputDirectory = folder.Path, SourceExamplesPerShard = 6 }).Run(split.Train);
        var adversarial = new ShardAdversarialSource(job.WrittenShards);
        adversarial.SourceCount.Should().Be(split.Train.Count);

        var result = new EdSamTrainer(new EdSamOptions { Epochs = 1, BatchSize = 6, LearningRate = 1e-4, WarmupSteps = 0 })
            .Fit(split.Train, split.ClassNames, clip, Tokenize, adversarial);

        result.Losses.Should().HaveCount(2).And.OnlyContain(l => double.IsFinite(l) && l > 0);
        result.History.Should().OnlyContain(p => p.Metrics!.ContainsKey("adversarial_loss"));
        double accuracy = EdSamTrainer.Evaluate(result.Model, Tokenize, split.Test, split.ClassNames, ["a sketch of a {}"]);
        accuracy.Should().BeInRange(0, 1);
        string weights = Path.Combine(folder.Path, "clip.safetensors");
        result.Save(weights);
        using var reloaded = ClipModel.FromPretrained(clip.Config, weights);
        reloaded.LogitScale.Should().BeApproximately(result.Model.LogitScale, 1e-5);
    }

    [SkippableFact]
    public void Fit_with_a_test_domain_trains_on_the_leave_one_domain_out_split_only()
    {
        string? clipFolder = FindClipFixtures();
        Skip.If(clipFolder is null, "../shared/fixtures/clip is absent");
        var tokenizer = ClipTokenizer.FromBpeFile(Path.Combine(clipFolder!, "bpe_simple_vocab_16e6.txt.gz"));
        var config = TinyClip.Config with { Text = TinyClip.Config.Text with { VocabSize = 49408 } };   // fits the real BPE
        ClipModel NewClip() { manual_seed(3); return new ClipModel(config); }
        var dataset = new DomainDataset("toy", ToyData.ClassNames, new Dictionary<string, IReadOnlyList<Example>>
        {
            ["photo"] = ToyData.Examples(10, domain: "photo"),
            ["sketch"] = ToyData.Examples(10, domain: "sketch", seed: 2),
            ["cartoon"] = ToyData.Examples(10, domain: "cartoon", seed: 3),
        });
        var trainer = new EdSamTrainer(new EdSamOptions { Epochs = 1, BatchSize = 4, LearningRate = 1e-3, WarmupSteps = 0, Seed = 5 });
        using var byName = NewClip();
        using var bySplit = NewClip();
        using var everything = NewClip();

        var a = trainer.Fit(dataset, "sketch", byName, tokenizer);
        var b = trainer.Fit(dataset.LeaveOneDomainOut("sketch", 5), bySplit, tokenizer);
        var all = trainer.Fit(dataset, everything, tokenizer);

        a.Losses.Should().Equal(b.Losses);
        a.TotalSteps.Should().Be(b.TotalSteps).And.BeLessThan(all.TotalSteps, "the held-out domain is not trained on");
        var unknown = () => trainer.Fit(dataset, "painting", bySplit, tokenizer);
        unknown.Should().Throw<ArgumentException>().WithMessage("*painting*");
    }

    [SkippableFact]
    public void A_tokenizer_larger_than_the_model_vocabulary_is_refused_before_training_or_evaluation()
    {
        string? clipFolder = FindClipFixtures();
        Skip.If(clipFolder is null, "../shared/fixtures/clip is absent");
        using var clip = ClipModel.FromPretrained(Path.Combine(clipFolder!, "tiny-vit.config.json"), Path.Combine(clipFolder!, "tiny-vit.safetensors"));
        var tokenizer = ClipTokenizer.FromBpeFile(Path.Combine(clipFolder!, "bpe_simple_vocab_16e6.txt.gz"));

        var guidance = () => new ClipGuidance(clip, tokenizer);
        var evaluate = () => EdSamTrainer.Evaluate(clip, tokenizer, [], ["cat", "dog"]);

        guidance.Should().Throw<ClipTokenizerMismatchException>().WithMessage("*49408 tokens*vocab_size 1000*");
        evaluate.Should().Throw<ClipTokenizerMismatchException>().WithMessage("*49408 tokens*vocab_size 1000*");
    }

    private static string? FindClipFixtures()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EdSam.sln")))
            {
                string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures", "clip"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        return null;
    }
}
