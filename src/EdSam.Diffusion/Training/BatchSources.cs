using EdSam.Diffusion.Models;
using EdSam.Training;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Training;

/// <summary>Where the trainer's batches come from; <see cref="Next"/> is called inside the step's dispose scope.</summary>
internal interface IBatchSource
{
    /// <summary>Positions the source so the next batch is the one of step <paramref name="step"/> (for resuming).</summary>
    void Seek(long step);

    /// <summary>The batch of the next step.</summary>
    DiffusionBatch Next();
}

/// <summary>
/// Batches drawn from in-memory tensors in the order <see cref="Seeding.EpochPermutation"/> gives each epoch, so the
/// batch of any step is a pure function of (seed, step): resuming needs no saved data position.
/// </summary>
internal sealed class TensorBatchSource : IBatchSource
{
    private readonly Tensor _images;
    private readonly Tensor? _labels;
    private readonly Tensor? _text;
    private readonly long _seed;
    private readonly int _batchSize;
    private readonly long _batchesPerEpoch;
    private long _step;
    private long _cachedEpoch = -1;
    private long[] _order = [];

    public TensorBatchSource(Tensor images, Tensor? labels, Tensor? text, int batchSize, long seed)
    {
        if (images.dim() != 4) throw new ArgumentException($"images must be [N, C, H, W], got [{string.Join(", ", images.shape)}]", nameof(images));
        long count = images.shape[0];
        if (count == 0) throw new ArgumentException("images holds no examples", nameof(images));
        if (labels is not null && (labels.dim() != 1 || labels.shape[0] != count))
            throw new ArgumentException($"labels must be int64 [{count}] (one per image), got [{string.Join(", ", labels.shape)}]", nameof(labels));
        if (text is not null && (text.dim() != 2 || text.shape[0] != count))
            throw new ArgumentException($"textEmbeddings must be [{count}, D] (one row per image), got [{string.Join(", ", text.shape)}]", nameof(text));
        (_images, _labels, _text, _seed) = (images, labels, text, seed);
        _batchSize = (int)Math.Min(batchSize, count);
        _batchesPerEpoch = count / _batchSize;   // the incomplete last batch of an epoch is dropped
    }

    public void Seek(long step) => _step = step;

    public DiffusionBatch Next()
    {
        long epoch = _step / _batchesPerEpoch, position = _step % _batchesPerEpoch;
        _step++;
        if (epoch != _cachedEpoch)
        {
            _order = Seeding.EpochPermutation(_seed, epoch, _images.shape[0]);
            _cachedEpoch = epoch;
        }
        var index = tensor(_order.AsSpan((int)(position * _batchSize), _batchSize).ToArray(), device: _images.device);
        var condition = _labels is null && _text is null
            ? null
            : new DiffusionCondition(_labels?.index_select(0, index.to(_labels.device)), _text?.index_select(0, index.to(_text.device)));
        return new DiffusionBatch(_images.index_select(0, index), condition);
    }
}

/// <summary>
/// Batches from a user sequence, enumerated again from the start whenever it ends. Resuming at step s skips the
/// first s batches, so exact resumes need a sequence that yields the same batches every time it is enumerated.
/// </summary>
internal sealed class EnumerableBatchSource(IEnumerable<DiffusionBatch> batches) : IBatchSource, IDisposable
{
    private IEnumerator<DiffusionBatch>? _enumerator;

    public void Seek(long step)
    {
        _enumerator?.Dispose();
        _enumerator = null;
        for (long i = 0; i < step; i++)
        {
            using var scope = NewDisposeScope();   // tensors made by skipped batches die here
            Next();
        }
    }

    public DiffusionBatch Next()
    {
        _enumerator ??= batches.GetEnumerator();
        if (_enumerator.MoveNext()) return _enumerator.Current ?? throw new ArgumentException("The batch sequence yielded a null batch.");
        _enumerator.Dispose();
        _enumerator = batches.GetEnumerator();
        if (_enumerator.MoveNext()) return _enumerator.Current ?? throw new ArgumentException("The batch sequence yielded a null batch.");
        throw new ArgumentException("The batch sequence is empty: DiffusionTrainer.Fit needs at least one batch.");
    }

    public void Dispose() => _enumerator?.Dispose();
}
