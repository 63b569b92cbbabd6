namespace EdSam.Data.FashionMnist;

/// <summary>Captions of Fashion-MNIST-DG images, from templates such as <c>"a {domain} of a {class}"</c>
/// (<c>"a sketch of an ankle boot"</c>, <c>"a painting of a dress"</c>): what ED-SAM's contrastive loss pairs
/// with each image, and what zero-shot prompts look like.</summary>
public static class FashionMnistCaptions
{
    /// <summary>The caption templates. <c>{domain}</c> / <c>{class}</c> are replaced by the domain's
    /// <see cref="FashionMnistDomains.CaptionNoun"/> and the class name; <c>{a domain}</c> / <c>{a class}</c>
    /// add the right indefinite article ("a sketch", "an ankle boot"). Template 0 is the canonical one.</summary>
    public static IReadOnlyList<string> Templates { get; } =
    [
        "{a domain} of {a class}",
        "{a domain} of the {class}",
        "{a domain} showing {a class}",
        "{a class} in {a domain}",
        "this is {a domain} of {a class}",
    ];

    /// <summary>The caption of template <paramref name="template"/> for a class in a domain.</summary>
    /// <param name="domain">The rendering.</param>
    /// <param name="classIndex">Label in [0, 10).</param>
    /// <param name="template">Index into <see cref="Templates"/>.</param>
    /// <returns>For example <c>"a blurry photo of a sneaker"</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A label or template index out of range, or an undefined domain.</exception>
    public static string Caption(FashionMnistDomain domain, int classIndex, int template = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(classIndex, FashionMnistClasses.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(template);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(template, Templates.Count);
        string noun = domain.CaptionNoun();
        string name = FashionMnistClasses.Names[classIndex];
        return Templates[template]
            .Replace("{a domain}", WithArticle(noun))
            .Replace("{a class}", WithArticle(name))
            .Replace("{domain}", noun)
            .Replace("{class}", name);
    }

    /// <summary>The template an image's caption uses: drawn from (<paramref name="seed"/>, image id), so an
    /// image keeps its caption across runs while the data set as a whole uses every template.</summary>
    /// <param name="seed">The data set seed.</param>
    /// <param name="imageId">The image's stable id.</param>
    /// <returns>An index into <see cref="Templates"/>.</returns>
    public static int TemplateFor(int seed, long imageId) => SplitMix64.Keyed(seed, CaptionStream, imageId).NextInt(Templates.Count);

    // Distinct from every FashionMnistDomain value, so captions and renderings draw from unrelated streams.
    private const long CaptionStream = 0x6361_7074; // "capt"

    // English picks the article by sound; every noun here sounds as it is spelt, so the first letter decides.
    private static string WithArticle(string noun) => ("aeiou".Contains(noun[0]) ? "an " : "a ") + noun;
}
