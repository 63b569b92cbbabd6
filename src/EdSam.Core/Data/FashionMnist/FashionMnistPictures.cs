using System.Reflection;

namespace EdSam.Data.FashionMnist;

/// <summary>The raw Fashion-MNIST pictures and labels a <see cref="FashionMnistDg"/> renders from, read from one
/// <see cref="FashionMnistSource"/>. Test-split pictures come first and keep their split index as id; training
/// pictures follow with id 10,000 + index, so a test picture renders the same from the embedded copy and from a
/// full installation.</summary>
internal sealed class FashionMnistPictures
{
    public const long TrainIdOffset = 10_000;

    private const string ResourcePrefix = "EdSam.Data.FashionMnist.Resources.";
    private const string TestImages = "t10k-images-idx3-ubyte", TestLabels = "t10k-labels-idx1-ubyte";
    private const string TrainImages = "train-images-idx3-ubyte", TrainLabels = "train-labels-idx1-ubyte";

    private FashionMnistPictures(IdxImages images, byte[] labels, long[] ids, int testCount, string description)
    {
        Images = images;
        Labels = labels;
        Ids = ids;
        TestCount = testCount;
        Description = description;
    }

    public IdxImages Images { get; }

    public byte[] Labels { get; }

    public long[] Ids { get; }

    /// <summary>How many of the pictures (the first ones) belong to the test split.</summary>
    public int TestCount { get; }

    public string Description { get; }

    public int Count => Labels.Length;

    /// <summary>"test-01234" or "train-54321": the picture's split and index within it.</summary>
    public string SplitKey(int picture) => picture < TestCount
        ? $"test-{Ids[picture]:D5}"
        : $"train-{Ids[picture] - TrainIdOffset:D5}";

    public static FashionMnistPictures Read(FashionMnistSource source, string? folder)
    {
        switch (source)
        {
            case FashionMnistSource.Auto:
                return HasDebianData() ? ReadFolder(FashionMnistDg.DebianFolder) : ReadEmbedded();
            case FashionMnistSource.Embedded:
                return ReadEmbedded();
            case FashionMnistSource.DebianFolder:
                if (!Directory.Exists(FashionMnistDg.DebianFolder))
                    throw new DirectoryNotFoundException(
                        $"{FashionMnistDg.DebianFolder} does not exist: install Debian's dataset-fashion-mnist package, or use the Embedded source.");
                return ReadFolder(FashionMnistDg.DebianFolder);
            case FashionMnistSource.Folder:
                return ReadFolder(folder ?? throw new ArgumentException("A folder is needed for FashionMnistSource.Folder.", nameof(folder)));
            default:
                throw new ArgumentOutOfRangeException(nameof(source), source, "Unknown Fashion-MNIST source.");
        }
    }

    private static bool HasDebianData() =>
        new[] { TestImages, TestLabels, TrainImages, TrainLabels }.All(n => Find(FashionMnistDg.DebianFolder, n) is not null);

    private static FashionMnistPictures ReadEmbedded()
    {
        var assembly = typeof(FashionMnistPictures).Assembly;
        using var imagesStream = OpenResource(assembly, TestImages + ".gz", out string imagesName);
        using var labelsStream = OpenResource(assembly, TestLabels + ".gz", out string labelsName);
        var images = IdxReader.ReadImages(imagesStream, imagesName);
        var labels = IdxReader.ReadLabels(labelsStream, labelsName);
        CheckPair(images, labels, imagesName, labelsName);
        return new FashionMnistPictures(images, labels, LongRange(0, images.Count), images.Count,
            $"embedded Fashion-MNIST test split ({images.Count:N0} images)");
    }

    private static Stream OpenResource(Assembly assembly, string file, out string name)
    {
        name = ResourcePrefix + file;
        return assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing from {assembly.GetName().Name}; the build is broken.");
    }

    private static FashionMnistPictures ReadFolder(string folder)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Fashion-MNIST folder not found: {folder}");
        var test = ReadSplit(folder, TestImages, TestLabels);
        var train = ReadSplit(folder, TrainImages, TrainLabels);
        if (test is null && train is null)
            throw new FileNotFoundException(
                $"{folder} holds no Fashion-MNIST split: expected {TestImages}[.gz] + {TestLabels}[.gz] and/or {TrainImages}[.gz] + {TrainLabels}[.gz].");
        if (test is not null && train is not null && (test.Value.Images.Rows != train.Value.Images.Rows || test.Value.Images.Columns != train.Value.Images.Columns))
            throw new IdxFormatException(Path.Combine(folder, TrainImages),
                $"images are {train.Value.Images.Rows} × {train.Value.Images.Columns} but the test split's are {test.Value.Images.Rows} × {test.Value.Images.Columns}.");

        var parts = new[] { test, train }.Where(p => p is not null).Select(p => p!.Value).ToArray();
        int count = parts.Sum(p => p.Images.Count);
        var first = parts[0].Images;
        var pixels = new byte[(long)count * first.PixelsPerImage];
        var labels = new byte[count];
        var ids = new long[count];
        int at = 0;
        foreach (var (images, splitLabels, idOffset) in parts)
        {
            images.Pixels.CopyTo(pixels, (long)at * first.PixelsPerImage);
            splitLabels.CopyTo(labels, at);
            for (int i = 0; i < images.Count; i++) ids[at + i] = idOffset + i;
            at += images.Count;
        }
        int testCount = test?.Images.Count ?? 0;
        return new FashionMnistPictures(new IdxImages(count, first.Rows, first.Columns, pixels), labels, ids, testCount,
            $"{folder} ({count:N0} images)");
    }

    private static (IdxImages Images, byte[] Labels, long IdOffset)? ReadSplit(string folder, string imagesFile, string labelsFile)
    {
        string? imagesPath = Find(folder, imagesFile), labelsPath = Find(folder, labelsFile);
        if (imagesPath is null && labelsPath is null) return null;
        if (imagesPath is null || labelsPath is null)
            throw new FileNotFoundException(
                $"{folder} has {(imagesPath ?? labelsPath)} but not its partner {(imagesPath is null ? imagesFile : labelsFile)}[.gz].",
                Path.Combine(folder, imagesPath is null ? imagesFile : labelsFile));
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        CheckPair(images, labels, imagesPath, labelsPath);
        return (images, labels, imagesFile == TestImages ? 0 : TrainIdOffset);
    }

    private static string? Find(string folder, string name)
    {
        foreach (string candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private static void CheckPair(IdxImages images, byte[] labels, string imagesName, string labelsName)
    {
        if (images.Count != labels.Length)
            throw new IdxFormatException(labelsName, $"{labels.Length} labels, but {imagesName} holds {images.Count} images.");
        int bad = Array.FindIndex(labels, l => l >= FashionMnistClasses.Count);
        if (bad >= 0)
            throw new IdxFormatException(labelsName, $"label {labels[bad]} at index {bad} is not a Fashion-MNIST class (0–9).");
    }

    private static long[] LongRange(long start, int count)
    {
        var values = new long[count];
        for (int i = 0; i < count; i++) values[i] = start + i;
        return values;
    }
}
