using System.Globalization;
using System.Text.Json;
using EdSam.Data;
using EdSam.Data.WebDataset;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>
/// The offline ED-SAM augmentation: runs an <see cref="AdversarialDiffusionSampler"/> over source examples and writes
/// the samples into WebDataset shards (<see cref="WebDatasetWriter"/>), each sample as <c>key.png</c>, <c>key.txt</c>
/// (the source caption), <c>key.cls</c> (its label) and <c>key.json</c> with <c>source</c> (the source example's key),
/// <c>caption</c>, <c>label</c>, <c>domain</c>, <c>sample</c> (index in [0, M)), <c>alpha</c>, <c>rho</c> and
/// <c>start_timestep</c>. <see cref="ShardAdversarialSource"/> reads them back for <see cref="EdSamTrainer"/>.
/// </summary>
/// <remarks>
/// <para><b>Fan-out.</b> Source examples are cut into output shards of <see cref="AugmentationJobOptions.SourceExamplesPerShard"/>
/// examples; shard <c>c</c> is written by worker <c>c % ShardCount</c> (the rule of <see cref="ShardList.ForWorker"/>),
/// so N workers given the same list and options cover every shard exactly once and never write the same file. Shard
/// contents do not depend on the number of workers (samples are seeded per source example).</para>
/// <para><b>Resume.</b> A shard is written into a temporary folder and renamed into place when complete; a shard whose
/// final file exists is skipped, so a re-run after a crash or cancellation only does the missing work.</para>
/// </remarks>
public sealed class AugmentationJob
{
    /// <summary>Creates the job.</summary>
    /// <param name="sampler">The sampler that makes the samples.</param>
    /// <param name="options">Output folder, worker share and shard size.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public AugmentationJob(AdversarialDiffusionSampler sampler, AugmentationJobOptions options)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Sampler = sampler;
        Options = options;
    }

    /// <summary>The sampler.</summary>
    public AdversarialDiffusionSampler Sampler { get; }

    /// <summary>The options.</summary>
    public AugmentationJobOptions Options { get; }

    /// <summary>The final path of output shard <paramref name="shard"/>.</summary>
    /// <param name="shard">The shard number c.</param>
    public string ShardPath(int shard) =>
        Path.Combine(Path.GetFullPath(Options.OutputDirectory), string.Create(CultureInfo.InvariantCulture, $"{Options.ShardPrefix}-{shard:D6}.tar"));

    /// <summary>The shard numbers this worker writes for <paramref name="sourceCount"/> source examples.</summary>
    /// <param name="sourceCount">The number of source examples.</param>
    public IReadOnlyList<int> ShardsOfThisWorker(int sourceCount)
    {
        int shards = (sourceCount + Options.SourceExamplesPerShard - 1) / Options.SourceExamplesPerShard;
        return ShardList.ForWorker(Enumerable.Range(0, shards).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray(), Options.ShardIndex, Options.ShardCount)
            .Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Writes this worker's shards, skipping those already complete.</summary>
    /// <param name="sourceExamples">Every source example of the job, in the same order on every worker.</param>
    /// <param name="progress">Receives (shards done, shards of this worker, samples written) after each shard.</param>
    /// <param name="cancellationToken">Checked between batches; the shard in progress is discarded (re-done on resume).</param>
    /// <returns>What was written and skipped.</returns>
    /// <exception cref="OperationCanceledException">Cancelled; completed shards stay.</exception>
    public AugmentationJobResult Run(IReadOnlyList<Example> sourceExamples, IProgress<AugmentationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sourceExamples);
        Directory.CreateDirectory(Path.GetFullPath(Options.OutputDirectory));
        var mine = ShardsOfThisWorker(sourceExamples.Count);
        var written = new List<string>();
        var skipped = new List<string>();
        long samples = 0;
        foreach (int shard in mine)
        {
            string path = ShardPath(shard);
            if (File.Exists(path))
            {
                skipped.Add(path);
            }
            else
            {
                int first = shard * Options.SourceExamplesPerShard;
                var slice = sourceExamples.Skip(first).Take(Options.SourceExamplesPerShard).ToArray();
                samples += WriteShard(path, first, slice, cancellationToken);
                written.Add(path);
            }
            progress?.Report(new AugmentationProgress(written.Count + skipped.Count, mine.Count, samples));
        }
        return new AugmentationJobResult(written, skipped, samples);
    }

    private long WriteShard(string path, int firstIndex, IReadOnlyList<Example> slice, CancellationToken cancellationToken)
    {
        string temporary = Path.Combine(Path.GetDirectoryName(path)!, $".tmp-{Path.GetFileNameWithoutExtension(path)}-{Guid.NewGuid():N}");
        var transport = Sampler.Transport.Options;
        try
        {
            long count = 0;
            using (var writer = new WebDatasetWriter(temporary, new WebDatasetWriterOptions { MaxSamplesPerShard = int.MaxValue, MaxBytesPerShard = long.MaxValue }))
            {
                for (int start = 0; start < slice.Count; start += Sampler.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var samples = Sampler.GenerateBatch(slice.Skip(start).Take(Sampler.BatchSize).ToArray());
                    for (int i = 0; i < samples.Count; i++)
                    {
                        var sample = samples[i];
                        // The key names the source's position in the job's list: unique across all shards and workers.
                        int source = firstIndex + start + i / Sampler.SamplesPerImage;
                        string key = string.Create(CultureInfo.InvariantCulture, $"s{source:D9}_{sample.SampleIndex:D4}");
                        writer.Write(key, sample.Image, sample.Source.Caption, sample.Source.Label, Metadata(key, sample, transport));
                        sample.Dispose();
                        count++;
                    }
                }
            }
            File.Move(Path.Combine(temporary, "000000.tar"), path, overwrite: false);
            return count;
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        }
    }

    private string Metadata(string key, AdversarialSample sample, TransportOptions transport) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["key"] = key,
        ["source"] = sample.Source.Key,
        ["caption"] = sample.Source.Caption,
        ["label"] = sample.Source.Label,
        ["domain"] = sample.Source.Domain,
        ["sample"] = sample.SampleIndex,
        ["alpha"] = sample.Alpha,
        ["rho"] = transport.Rho,
        ["start_timestep"] = Sampler.Transport.StartTimestep,
        ["guided"] = transport.Guided,
    });
}

/// <summary>What an <see cref="AugmentationJob.Run"/> did.</summary>
/// <param name="WrittenShards">Shards written by this run (final paths).</param>
/// <param name="SkippedShards">Shards of this worker that were already complete.</param>
/// <param name="SamplesWritten">Samples written by this run.</param>
public sealed record AugmentationJobResult(IReadOnlyList<string> WrittenShards, IReadOnlyList<string> SkippedShards, long SamplesWritten);

/// <summary>Progress of an <see cref="AugmentationJob"/>.</summary>
/// <param name="ShardsDone">Shards of this worker finished (written or skipped).</param>
/// <param name="ShardsTotal">Shards of this worker.</param>
/// <param name="SamplesWritten">Samples written so far by this run.</param>
public sealed record AugmentationProgress(int ShardsDone, int ShardsTotal, long SamplesWritten);
