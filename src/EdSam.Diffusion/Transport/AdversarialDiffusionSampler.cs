using EdSam.Clip;
using EdSam.Data;
using EdSam.Diffusion.Models;
using EdSam.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>
/// Runs the <see cref="TransportTransformation"/> over a data set: source images are decoded, resized to the
/// denoiser's size and sent through the transformation <see cref="BatchSize"/> images (× M samples) at a time, each
/// batch in its own dispose scope.
/// </summary>
/// <remarks>
/// Determinism: the draws of each source example (ε, α, ε′) come from a generator seeded by
/// (<see cref="TransportOptions.Seed"/>, the example's key), so an example gets the same samples whatever batch, order
/// or worker it is processed in (with η = 0; DDIM noise for η &gt; 0 is drawn per batch).
/// </remarks>
public sealed class AdversarialDiffusionSampler
{
    private readonly Func<IReadOnlyList<Example>, DiffusionCondition?> _condition;
    private readonly ImagePreprocessor _resize;
    private readonly Device _device;

    /// <summary>Creates the sampler.</summary>
    /// <param name="transport">The transformation (its options give M, ρ, the seed and the mode).</param>
    /// <param name="batchSize">Source images per denoiser batch (each becomes M rows); ≥ 1.</param>
    /// <param name="condition">Builds each batch's condition from its examples; null conditions on
    /// <see cref="Example.Label"/> when every example has one (<see cref="LabelCondition"/>; a denoiser without class
    /// conditioning then refuses the labels), and runs unconditionally otherwise. Pass <see cref="CaptionCondition"/>
    /// for a text-conditioned denoiser, <see cref="NoCondition"/> for an unconditional one.</param>
    /// <param name="device">Where the images are processed (the denoiser's device); CPU when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    public AdversarialDiffusionSampler(TransportTransformation transport, int batchSize = 8,
        Func<IReadOnlyList<Example>, DiffusionCondition?>? condition = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Transport = transport;
        BatchSize = batchSize;
        _condition = condition ?? LabelCondition;
        _device = device ?? CPU;
        int size = transport.ImageSize;
        _resize = new ImagePreprocessor(new ImagePreprocessorOptions { ResizeSize = size, CropSize = size });
    }

    /// <summary>The transformation.</summary>
    public TransportTransformation Transport { get; }

    /// <summary>Source images per batch.</summary>
    public int BatchSize { get; }

    /// <summary>M, the number of samples per source image.</summary>
    public int SamplesPerImage => Transport.Options.SamplesPerImage;

    /// <summary>The default condition: the class labels when every example has one, else none.</summary>
    /// <param name="examples">A batch.</param>
    /// <returns>The condition, or null.</returns>
    public static DiffusionCondition? LabelCondition(IReadOnlyList<Example> examples) =>
        examples.All(e => e.Label is not null)
            ? new DiffusionCondition(tensor(examples.Select(e => (long)e.Label!.Value).ToArray()))
            : null;

    /// <summary>No condition: for unconditional denoisers.</summary>
    /// <param name="examples">A batch (ignored).</param>
    /// <returns>Null.</returns>
    public static DiffusionCondition? NoCondition(IReadOnlyList<Example> examples) => null;

    /// <summary>A text condition: each example's caption embedded by <paramref name="encodeText"/> (e.g. a frozen CLIP
    /// text tower), for denoisers conditioned on text embeddings.</summary>
    /// <param name="encodeText">Captions → float [N, D] embeddings.</param>
    /// <returns>A condition builder for the constructor.</returns>
    public static Func<IReadOnlyList<Example>, DiffusionCondition?> CaptionCondition(Func<IReadOnlyList<string>, Tensor> encodeText)
    {
        ArgumentNullException.ThrowIfNull(encodeText);
        return examples => new DiffusionCondition(TextEmbeddings: encodeText(examples.Select(CaptionOf).ToArray()));
    }

    /// <summary>Generates M samples for every example, batch by batch (lazily). Dispose each sample when done.</summary>
    /// <param name="examples">The source examples (images of any size; resized and centre-cropped to the denoiser's).</param>
    /// <param name="cancellationToken">Checked before each batch.</param>
    /// <returns>The samples, source-major (M per example, in order).</returns>
    /// <exception cref="OperationCanceledException">Cancelled between batches.</exception>
    public IEnumerable<AdversarialSample> Generate(IReadOnlyList<Example> examples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        for (int start = 0; start < examples.Count; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = examples.Skip(start).Take(BatchSize).ToArray();
            foreach (var sample in GenerateBatch(batch)) yield return sample;
        }
    }

    /// <summary>Generates M samples for each example of one batch in a single transformation call.</summary>
    /// <param name="batch">The source examples (at most a few dozen: they go through the denoiser together, × M).</param>
    /// <returns>The samples, source-major; the caller disposes them.</returns>
    public IReadOnlyList<AdversarialSample> GenerateBatch(IReadOnlyList<Example> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) return [];
        using var scope = NewDisposeScope();
        int m = SamplesPerImage;
        var images = stack(batch.Select(LoadResized).ToArray()).to(_device);
        var condition = _condition(batch)?.To(_device);
        var captions = Transport.Options.Guided ? batch.Select(CaptionOf).ToArray() : null;
        long[] latentShape = [m, .. Transport.LatentShape];
        var draws = batch.Select(e => DrawFor(e, latentShape)).ToArray();
        using var noise = new TransportNoise(
            cat(draws.Select(d => d.ForwardNoise).ToArray(), 0).to(_device),
            cat(draws.Select(d => d.Alpha).ToArray(), 0).to(_device),
            cat(draws.Select(d => d.ShiftNoise).ToArray(), 0).to(_device));
        using var generator = new Generator(unchecked((ulong)Seeding.ForKey(Transport.Options.Seed, batch[0].Key)));
        using var result = Transport.Transform(images, condition, noise, generator, captions);
        var pixels = result.Images.cpu();
        float[] alpha = result.Alpha.cpu().to(ScalarType.Float32).data<float>().ToArray();
        var samples = new List<AdversarialSample>(batch.Count * m);
        for (int i = 0; i < batch.Count; i++)
            for (int j = 0; j < m; j++)
                samples.Add(new AdversarialSample(batch[i], j, alpha[i * m + j], scope.MoveToOuter(pixels[i * m + j].clone())));
        return samples;
    }

    internal static string CaptionOf(Example example) =>
        example.Caption ?? throw new ArgumentException($"Example '{example.Key}' has no caption; ED-SAM pairs each sample with its source's caption.", nameof(example));

    private Tensor LoadResized(Example example)
    {
        using var image = example.Image.Load();
        return _resize.CenterCrop(_resize.Resize(image));
    }

    private TransportNoise DrawFor(Example example, long[] latentShape)
    {
        using var generator = new Generator(unchecked((ulong)Seeding.ForKey(Transport.Options.Seed, example.Key)));
        return TransportNoise.Draw(latentShape, Transport.Options.Rho, generator);
    }

}
