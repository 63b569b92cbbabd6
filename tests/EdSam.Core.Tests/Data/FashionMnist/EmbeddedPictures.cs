using EdSam.Data.FashionMnist;

namespace EdSam.Tests.Data.FashionMnist;

/// <summary>The embedded test split, read once for all tests of this folder.</summary>
internal static class EmbeddedPictures
{
    private static readonly Lazy<FashionMnistPictures> Pictures = new(() => FashionMnistPictures.Read(FashionMnistSource.Embedded, null));
    private static readonly Lazy<FashionMnistDg> Dataset = new(() => FashionMnistDg.Load(new FashionMnistDgOptions { Source = FashionMnistSource.Embedded }));

    public static FashionMnistPictures Value => Pictures.Value;

    /// <summary>The data set with default options over the embedded split.</summary>
    public static FashionMnistDg DefaultDataset => Dataset.Value;

    /// <summary>The first <paramref name="count"/> pictures as indices and ids.</summary>
    public static (int[] Indices, long[] Ids) First(int count)
    {
        int[] indices = Enumerable.Range(0, count).ToArray();
        return (indices, indices.Select(i => Value.Ids[i]).ToArray());
    }
}
