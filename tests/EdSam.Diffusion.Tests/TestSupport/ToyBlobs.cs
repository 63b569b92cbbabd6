using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.TestSupport;

/// <summary>16×16 RGB images of two classes: a bright square blob in the top-left (class 0) or bottom-right (class 1) on a dark background, with seeded jitter.</summary>
internal sealed class ToyBlobs : IDisposable
{
    public ToyBlobs(int count = 32, int size = 16, long seed = 123)
    {
        using var generator = new Generator((ulong)seed);
        var labels = new long[count];
        using var scope = NewDisposeScope();
        var images = zeros(count, 3, size, size);
        int half = size / 2;
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % 2;
            int offset = labels[i] == 0 ? 2 : half;
            images[i, .., offset..(offset + half - 2), offset..(offset + half - 2)] = full(3, half - 2, half - 2, 0.9f);
        }
        images = (images + 0.05 * randn(images.shape, generator: generator)).clamp(0, 1);
        Images = scope.MoveToOuter(images);
        Labels = scope.MoveToOuter(tensor(labels));
    }

    public Tensor Images { get; }

    public Tensor Labels { get; }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>Reports synchronously on the training thread (unlike <see cref="Progress{T}"/>, which posts to a synchronisation context).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
