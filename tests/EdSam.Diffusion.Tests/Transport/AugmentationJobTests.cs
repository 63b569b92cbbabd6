using System.Text.Json;
using EdSam.Data.WebDataset;
using EdSam.Diffusion.Tests.TestSupport;
using EdSam.Diffusion.Transport;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Transport;

public sealed class AugmentationJobTests
{
    private static AdversarialDiffusionSampler Sampler(TinyDenoiser denoiser) =>
        new(new TransportTransformation(denoiser, new TransportOptions { SamplesPerImage = 2, SamplingSteps = 2, Rho = 0.4, Seed = 3 }), batchSize: 2);

    [Fact]
    public void Writes_shards_the_webdataset_reader_reads_back_with_source_caption_and_alpha()
    {
        using var folder = new TemporaryFolder();
        using var denoiser = new TinyDenoiser();
        var sampler = Sampler(denoiser);
        var examples = ToyData.Examples(5);
        var job = new AugmentationJob(sampler, new AugmentationJobOptions { OutputDirectory = folder.Path, SourceExamplesPerShard = 2 });

        var reports = new List<AugmentationProgress>();
        var result = job.Run(examples, new Progress(reports.Add));

        reports.Should().Equal(new AugmentationProgress(1, 3, 4), new AugmentationProgress(2, 3, 8), new AugmentationProgress(3, 3, 10));

        result.WrittenShards.Select(Path.GetFileName).Should().Equal("edsam-000000.tar", "edsam-000001.tar", "edsam-000002.tar");
        result.SamplesWritten.Should().Be(10);
        Directory.GetFileSystemEntries(folder.Path).Should().HaveCount(3, "no temporary folder is left behind");
        var expected = sampler.Generate(examples).ToList();
        var read = new WebDatasetReader(result.WrittenShards).ToList();
        read.Should().HaveCount(10);
        for (int i = 0; i < read.Count; i++)
        {
            using var json = JsonDocument.Parse(read[i].Metadata!);
            var root = json.RootElement;
            root.GetProperty("source").GetString().Should().Be(expected[i].Source.Key);
            root.GetProperty("caption").GetString().Should().Be(expected[i].Source.Caption);
            root.GetProperty("sample").GetInt32().Should().Be(expected[i].SampleIndex);
            root.GetProperty("alpha").GetDouble().Should().Be(expected[i].Alpha);
            Math.Abs(root.GetProperty("alpha").GetDouble()).Should().BeLessThanOrEqualTo(0.4);
            root.GetProperty("rho").GetDouble().Should().Be(0.4);
            read[i].Caption.Should().Be(expected[i].Source.Caption);
            read[i].Label.Should().Be(expected[i].Source.Label);
            using var image = read[i].Image.Load();
            (image - expected[i].Image).abs().max().item<float>().Should().BeLessThanOrEqualTo(0.5f / 255 + 1e-6f, "PNG stores 8-bit pixels");
        }
        expected.ForEach(s => s.Dispose());

        var source = new ShardAdversarialSource(result.WrittenShards);
        source.SourceCount.Should().Be(5);
        source.SampleCount.Should().Be(10);
        source.SamplesOf(examples[3].Key).Should().HaveCount(2);
    }

    [Fact]
    public void Workers_split_the_shards_without_overlap_and_together_write_what_one_worker_writes()
    {
        using var single = new TemporaryFolder();
        using var fanned = new TemporaryFolder();
        using var denoiser = new TinyDenoiser();
        var examples = ToyData.Examples(5);
        new AugmentationJob(Sampler(denoiser), new AugmentationJobOptions { OutputDirectory = single.Path, SourceExamplesPerShard = 1 }).Run(examples);
        var w0 = new AugmentationJob(Sampler(denoiser), new AugmentationJobOptions { OutputDirectory = fanned.Path, SourceExamplesPerShard = 1, ShardIndex = 0, ShardCount = 2 }).Run(examples);
        var w1 = new AugmentationJob(Sampler(denoiser), new AugmentationJobOptions { OutputDirectory = fanned.Path, SourceExamplesPerShard = 1, ShardIndex = 1, ShardCount = 2 }).Run(examples);

        w0.WrittenShards.Select(Path.GetFileName).Should().Equal("edsam-000000.tar", "edsam-000002.tar", "edsam-000004.tar");
        w1.WrittenShards.Select(Path.GetFileName).Should().Equal("edsam-000001.tar", "edsam-000003.tar");
        static string[] Describe(string folder) => new WebDatasetReader(Directory.GetFiles(folder, "*.tar").Order(StringComparer.Ordinal))
            .Select(e => e.Key + " " + e.Metadata).ToArray();
        Describe(fanned.Path).Should().Equal(Describe(single.Path));
    }

    [Fact]
    public void A_rerun_skips_complete_shards_and_redoes_only_missing_ones()
    {
        using var folder = new TemporaryFolder();
        using var denoiser = new TinyDenoiser();
        var examples = ToyData.Examples(4);
        var options = new AugmentationJobOptions { OutputDirectory = folder.Path, SourceExamplesPerShard = 2 };
        var first = new AugmentationJob(Sampler(denoiser), options).Run(examples);
        File.Delete(first.WrittenShards[1]);
        int callsBefore = denoiser.Calls;

        var second = new AugmentationJob(Sampler(denoiser), options).Run(examples);

        second.SkippedShards.Should().Equal(first.WrittenShards[0]);
        second.WrittenShards.Should().Equal(first.WrittenShards[1]);
        second.SamplesWritten.Should().Be(4);
        (denoiser.Calls - callsBefore).Should().Be(2, "one batch of two source images, two DDIM steps");
    }

    [Fact]
    public void Cancellation_leaves_no_partial_shard()
    {
        using var folder = new TemporaryFolder();
        using var denoiser = new TinyDenoiser();
        using var cts = new CancellationTokenSource();
        var job = new AugmentationJob(Sampler(denoiser), new AugmentationJobOptions { OutputDirectory = folder.Path, SourceExamplesPerShard = 4 });
        cts.Cancel();
        var act = () => job.Run(ToyData.Examples(4), cancellationToken: cts.Token);
        act.Should().Throw<OperationCanceledException>();
        Directory.GetFileSystemEntries(folder.Path).Should().BeEmpty();
    }

    [Fact]
    public void Options_errors_are_listed_together()
    {
        var act = () => new AugmentationJobOptions { OutputDirectory = "", ShardCount = 2, ShardIndex = 2, SourceExamplesPerShard = 0 }.Validate();
        act.Should().Throw<ArgumentException>().WithMessage("*OutputDirectory*").WithMessage("*ShardIndex*").WithMessage("*SourceExamplesPerShard*");
    }

    private sealed class Progress(Action<AugmentationProgress> report) : IProgress<AugmentationProgress>
    {
        public void Report(AugmentationProgress value) => report(value);
    }
}
