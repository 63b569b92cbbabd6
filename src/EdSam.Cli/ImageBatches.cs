using EdSam.Clip;
using EdSam.Data;
using static TorchSharp.torch;

namespace EdSam.Cli;

/// <summary>Decodes and preprocesses a stream of examples into model-input batches, one batch in memory at a time.</summary>
internal static class ImageBatches
{
    /// <summary>Yields batches of at most <paramref name="batchSize"/> examples and their preprocessed pixels
    /// <c>[n, 3, S, S]</c> (float32, CPU). The caller owns (disposes) each tensor.</summary>
    public static IEnumerable<(IReadOnlyList<Example> Examples, Tensor Pixels)> Of(IEnumerable<Example> examples, ImagePreprocessor preprocessor,
        int batchSize, CancellationToken cancellationToken)
    {
        var pending = new List<Example>(batchSize);
        foreach (var example in examples)
        {
            pending.Add(example);
            if (pending.Count < batchSize) continue;
            yield return (pending.ToArray(), Load(pending, preprocessor, cancellationToken));
            pending.Clear();
        }
        if (pending.Count > 0) yield return (pending.ToArray(), Load(pending, preprocessor, cancellationToken));
    }

    private static Tensor Load(List<Example> batch, ImagePreprocessor preprocessor, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var scope = NewDisposeScope();
        var images = batch.Select(example =>
        {
            using var raw = example.Image.Load();
            return preprocessor.Preprocess(raw);
        }).ToArray();
        return scope.MoveToOuter(stack(images));
    }
}
