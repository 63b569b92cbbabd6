using EdSam.Data;
using EdSam.Imaging;
using static TorchSharp.torch;

namespace EdSam.Tests.Data;

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edsam-data-" + Guid.NewGuid().ToString("N"));

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Small images and examples the data tests make for themselves.</summary>
internal static class DataTestFiles
{
    /// <summary>A [3, h, w] image whose pixels are exact multiples of 1/255 (so PNG round trips are exact),
    /// different for every <paramref name="seed"/>.</summary>
    public static Tensor QuantizedImage(int seed, int height = 6, int width = 5)
    {
        var random = new Random(seed);
        var values = new float[3 * height * width];
        for (int i = 0; i < values.Length; i++) values[i] = random.Next(256) / 255f;
        return tensor(values, [3, height, width]);
    }

    /// <summary>Writes a small PNG at <paramref name="path"/> (folders created).</summary>
    public static void WritePng(string path, int seed = 0, int height = 6, int width = 5)
    {
        using var image = QuantizedImage(seed, height, width);
        ImageEncoder.SavePng(path, image);
    }

    /// <summary>An example whose image is made in memory (no file).</summary>
    public static Example InMemory(string key, int label, string? domain = null, int height = 6, int width = 5, int seed = 0) =>
        new(key, ImageSource.FromFactory(() => QuantizedImage(seed == 0 ? key.Length : seed, height, width), key)) { Label = label, Domain = domain, Caption = "caption of " + key };

    /// <summary>An in-memory data set with the given number of examples per domain.</summary>
    public static DomainDataset Dataset(params (string Domain, int Count)[] domains) =>
        new("test", ["a", "b", "c"],
            domains.Select(d => KeyValuePair.Create(d.Domain,
                (IReadOnlyList<Example>)Enumerable.Range(0, d.Count).Select(i => InMemory($"{d.Domain}/{i}", i % 3, d.Domain, seed: i + 1)).ToArray())));
}
