namespace EdSam.Data.FashionMnist;

/// <summary>The renderings of Fashion-MNIST-DG: each turns the same 28 × 28 grayscale picture into an RGB image
/// whose distribution differs the way the domains of PACS / OfficeHome differ. See <c>docs/fashion-mnist-dg.md</c>.</summary>
public enum FashionMnistDomain
{
    /// <summary><c>photo</c>: the original picture, a light object on a black background, as gray RGB. The
    /// reference domain (PACS "photo").</summary>
    Photo,

    /// <summary><c>negative</c>: 1 − photo, a dark object on white. Inverts global intensity statistics
    /// (mean becomes 1 − mean) while keeping every edge.</summary>
    Negative,

    /// <summary><c>sketch</c>: Sobel edge magnitude, normalised per image and thresholded, drawn as dark lines
    /// on white. Removes texture and shading, keeps only contours (PACS "sketch").</summary>
    Sketch,

    /// <summary><c>blurred-noisy</c>: Gaussian blur (σ drawn per image in [0.7, 1.5] pixels at 28 px) plus colour
    /// Gaussian noise (σ = 0.08). Loses fine detail and adds sensor noise (a low-quality camera).</summary>
    BlurredNoisy,

    /// <summary><c>tinted-texture</c>: the object in a random saturated colour over a procedural two-colour
    /// wave texture. Changes colour and background statistics (PACS "art painting" / "cartoon").</summary>
    TintedTexture,

    /// <summary><c>rotated</c>: the photo rotated by ±15–45° (sign and angle drawn per image). Changes pose
    /// only: intensities and texture stay those of the photo.</summary>
    Rotated,
}

/// <summary>Names and caption words of <see cref="FashionMnistDomain"/> values.</summary>
public static class FashionMnistDomains
{
    /// <summary>All domains, in the data set's order.</summary>
    public static IReadOnlyList<FashionMnistDomain> All { get; } = Enum.GetValues<FashionMnistDomain>();

    /// <summary>The domain's name as used in <see cref="IDomainDataset.Domains"/> and on disk:
    /// <c>photo</c>, <c>negative</c>, <c>sketch</c>, <c>blurred-noisy</c>, <c>tinted-texture</c>, <c>rotated</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined domain.</exception>
    public static string Name(this FashionMnistDomain domain) => domain switch
    {
        FashionMnistDomain.Photo => "photo",
        FashionMnistDomain.Negative => "negative",
        FashionMnistDomain.Sketch => "sketch",
        FashionMnistDomain.BlurredNoisy => "blurred-noisy",
        FashionMnistDomain.TintedTexture => "tinted-texture",
        FashionMnistDomain.Rotated => "rotated",
        _ => throw new ArgumentOutOfRangeException(nameof(domain), domain, "Unknown Fashion-MNIST-DG domain."),
    };

    /// <summary>The noun a caption uses for the domain: photo, negative photo, sketch, blurry photo, painting,
    /// rotated photo.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined domain.</exception>
    public static string CaptionNoun(this FashionMnistDomain domain) => domain switch
    {
        FashionMnistDomain.Photo => "photo",
        FashionMnistDomain.Negative => "negative photo",
        FashionMnistDomain.Sketch => "sketch",
        FashionMnistDomain.BlurredNoisy => "blurry photo",
        FashionMnistDomain.TintedTexture => "painting",
        FashionMnistDomain.Rotated => "rotated photo",
        _ => throw new ArgumentOutOfRangeException(nameof(domain), domain, "Unknown Fashion-MNIST-DG domain."),
    };

    /// <summary>The domain called <paramref name="name"/> (see <see cref="Name"/>; ordinal, case-insensitive).</summary>
    /// <exception cref="ArgumentException">No domain has that name; the message lists the names.</exception>
    public static FashionMnistDomain Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var domain in All)
            if (string.Equals(domain.Name(), name, StringComparison.OrdinalIgnoreCase)) return domain;
        throw new ArgumentException(
            $"Unknown Fashion-MNIST-DG domain '{name}'; the domains are: {string.Join(", ", All.Select(d => d.Name()))}.", nameof(name));
    }
}
