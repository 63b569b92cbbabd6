namespace EdSam.Data.FashionMnist;

/// <summary>The ten Fashion-MNIST classes (Xiao, Rasul &amp; Vollgraf 2017), index = label.</summary>
public static class FashionMnistClasses
{
    /// <summary>Number of classes (10).</summary>
    public const int Count = 10;

    /// <summary>The names as published with the data set: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal,
    /// Shirt, Sneaker, Bag, Ankle boot.</summary>
    public static IReadOnlyList<string> OfficialNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Lower-case forms that read naturally in a CLIP prompt (<c>"a photo of a t-shirt"</c>): these are
    /// the data set's <see cref="IDomainDataset.ClassNames"/>.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"];
}
