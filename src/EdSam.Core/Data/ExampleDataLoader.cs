using System.Runtime.ExceptionServices;
using TorchSharp;
using TorchSharp.Modules;

namespace EdSam.Data;

/// <summary>TorchSharp's <c>DataLoader&lt;T, S&gt;</c> over an <see cref="ExampleDataset"/>, made by
/// <see cref="ExampleLoader.Create"/>. It adds two things: <see cref="SkippedCount"/>, and errors as they were
/// thrown — TorchSharp decodes a batch with PLINQ, which wraps a <see cref="FileNotFoundException"/> or an
/// <see cref="Imaging.ImageDecodeException"/> in an <see cref="AggregateException"/>; this loader unwraps it.</summary>
public sealed class ExampleDataLoader : DataLoader<LoadedExample?, ExampleBatch>, IEnumerable<ExampleBatch>
{
    internal ExampleDataLoader(ExampleDataset dataset, IEnumerable<long> sampler, ExampleLoaderOptions options)
        : base(dataset, options.BatchSize, ExampleBatch.Collate, sampler, options.Device, options.Workers,
            options.DropLast, disposeBatch: options.DisposeBatches, disposeDataset: true)
    {
        Examples = dataset;
    }

    /// <summary>The data set the batches come from.</summary>
    public ExampleDataset Examples { get; }

    /// <summary>Images skipped (under <see cref="BadInputPolicy.Skip"/>) so far.</summary>
    public long SkippedCount => Examples.SkippedCount;

    /// <summary>One epoch of batches.</summary>
    /// <exception cref="FileNotFoundException">A missing image (under <see cref="BadInputPolicy.Fail"/>).</exception>
    /// <exception cref="Imaging.ImageDecodeException">An undecodable image (under <see cref="BadInputPolicy.Fail"/>).</exception>
    public new IEnumerator<ExampleBatch> GetEnumerator()
    {
        using var inner = base.GetEnumerator();
        while (true)
        {
            bool more;
            try
            {
                more = inner.MoveNext();
            }
            catch (AggregateException e)
            {
                ExceptionDispatchInfo.Throw(e.Flatten().InnerExceptions[0]);
                throw;
            }
            if (!more) yield break;
            yield return inner.Current;
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
