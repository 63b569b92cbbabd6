using EdSam.Data;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>
/// Adversarial samples generated on the fly by an <see cref="AdversarialDiffusionSampler"/> the first time a training
/// example needs one, then served from a cache of the most recent <see cref="Capacity"/> source examples (all M samples
/// each). Samples are seeded per example (see <see cref="AdversarialDiffusionSampler"/>), so a cache miss regenerates
/// exactly what was evicted: training results do not depend on the cache size.
/// </summary>
public sealed class SamplerAdversarialSource : IAdversarialSampleSource, IDisposable
{
    private readonly Dictionary<string, Tensor[]> _cache = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>Creates the source.</summary>
    /// <param name="sampler">Makes the samples.</param>
    /// <param name="capacity">Source examples kept in the cache (each holds M images); ≥ 0.</param>
    public SamplerAdversarialSource(AdversarialDiffusionSampler sampler, int capacity = 1024)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Sampler = sampler;
        Capacity = capacity;
    }

    /// <summary>The sampler.</summary>
    public AdversarialDiffusionSampler Sampler { get; }

    /// <summary>Source examples kept in the cache.</summary>
    public int Capacity { get; }

    /// <summary>Source examples whose samples were generated so far (cache misses).</summary>
    public long Generated { get; private set; }

    /// <summary>Always true: every example's samples are generated when first needed.</summary>
    /// <param name="example">A training example.</param>
    public bool? HasSamples(Example example) => true;

    /// <summary>"generated on the fly".</summary>
    public string Description => "generated on the fly";

    /// <inheritdoc />
    public IReadOnlyList<Tensor?> Get(IReadOnlyList<Example> examples, IReadOnlyList<int> choices)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(choices);
        var found = new Dictionary<string, Tensor[]>(StringComparer.Ordinal);
        var missing = examples.Where(e => !_cache.ContainsKey(e.Key)).DistinctBy(e => e.Key).ToArray();
        // All misses of the batch go through the denoiser together.
        for (int start = 0; start < missing.Length; start += Sampler.BatchSize)
        {
            var batch = missing.Skip(start).Take(Sampler.BatchSize).ToArray();
            var samples = Sampler.GenerateBatch(batch);
            for (int i = 0; i < batch.Length; i++)
                // Cached images outlive the caller's dispose scope (a training step): detach them from it.
                found[batch[i].Key] = samples.Skip(i * Sampler.SamplesPerImage).Take(Sampler.SamplesPerImage).Select(s => s.Image.DetachFromDisposeScope()).ToArray();
            Generated += batch.Length;
        }

        var images = new Tensor?[examples.Count];
        for (int i = 0; i < examples.Count; i++)
        {
            var all = _cache.TryGetValue(examples[i].Key, out var cached) ? cached : found[examples[i].Key];
            images[i] = all[choices[i] % all.Length].clone();
        }
        foreach (var (key, samples) in found) Remember(key, samples);
        return images;
    }

    /// <summary>Frees the cached images.</summary>
    public void Dispose()
    {
        foreach (var samples in _cache.Values) foreach (var image in samples) image.Dispose();
        _cache.Clear();
        _order.Clear();
    }

    private void Remember(string key, Tensor[] samples)
    {
        if (Capacity == 0)
        {
            foreach (var image in samples) image.Dispose();
            return;
        }
        while (_cache.Count >= Capacity)
        {
            string oldest = _order.Dequeue();
            foreach (var image in _cache[oldest]) image.Dispose();
            _cache.Remove(oldest);
        }
        _cache[key] = samples;
        _order.Enqueue(key);
    }
}
