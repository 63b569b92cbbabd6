namespace EdSam.Data.FashionMnist;

/// <summary>Where <see cref="FashionMnistDg"/> reads the Fashion-MNIST pictures from.</summary>
public enum FashionMnistSource
{
    /// <summary>The Debian folder (<see cref="FashionMnistDg.DebianFolder"/>, 70,000 images) when it holds the
    /// data set, otherwise the embedded test split (10,000 images).</summary>
    Auto,

    /// <summary>The 10,000-image test split embedded in this assembly: no files needed.</summary>
    Embedded,

    /// <summary><see cref="FashionMnistDg.DebianFolder"/>, as installed by Debian's <c>dataset-fashion-mnist</c>
    /// package: the training (60,000) and test (10,000) splits.</summary>
    DebianFolder,

    /// <summary>A folder of your own (<see cref="FashionMnistDgOptions.Folder"/>) holding the original file names
    /// (<c>train-images-idx3-ubyte[.gz]</c>, <c>train-labels-idx1-ubyte[.gz]</c>, <c>t10k-…</c>); either split may
    /// be missing, not both.</summary>
    Folder,
}
