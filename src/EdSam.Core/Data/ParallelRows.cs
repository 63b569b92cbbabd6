using static TorchSharp.torch;

namespace EdSam.Data;

/// <summary>
/// Builds a batch row by row on several threads — image decoding, resizing and augmentation are CPU work that would
/// otherwise keep the training thread (and a GPU) waiting — and stacks the rows in order.
/// </summary>
public static class ParallelRows
{
    /// <summary>Makes rows <c>0 … count−1</c> with <paramref name="makeRow"/> on up to <paramref name="workers"/> threads
    /// and stacks them into <c>[count, …]</c> on <paramref name="device"/>.</summary>
    /// <param name="count">Number of rows; ≥ 1.</param>
    /// <param name="makeRow">Makes row <c>i</c> (a new tensor, which this method disposes). It must depend on <c>i</c>
    /// only — seed any randomness from <c>i</c> — so the batch does not depend on thread timing.</param>
    /// <param name="workers">Threads to use; 1 makes the rows on the calling thread.</param>
    /// <param name="device">Where the batch goes; the CPU when null.</param>
    /// <returns>The stacked rows (in the caller's dispose scope, if any).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> or <paramref name="workers"/> is below 1.</exception>
    /// <remarks>A row's exception is rethrown as it was (not wrapped), e.g. the <c>ImageDecodeException</c> naming a file.</remarks>
    public static Tensor Stack(int count, Func<int, Tensor> makeRow, int workers, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(makeRow);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        var rows = new Tensor?[count];
        try
        {
            // Rows are made outside any dispose scope (scopes are per thread) and disposed here once stacked.
            if (workers == 1)
                for (int i = 0; i < count; i++) rows[i] = makeRow(i);
            else
                Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = workers }, i => rows[i] = makeRow(i));
            using var scope = NewDisposeScope();
            var stacked = stack(rows!);
            return scope.MoveToOuter(device is null ? stacked : stacked.to(device));
        }
        catch (AggregateException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.Flatten().InnerExceptions[0]);
            throw;
        }
        finally
        {
            foreach (var row in rows) row?.Dispose();
        }
    }
}
