namespace EdSam.Data;

/// <summary>One data-set example: an image (decoded lazily), and whatever annotation the format carries —
/// a caption, a class label, a domain name, JSON metadata. Cheap to create and to hold by the million.</summary>
/// <param name="Key">Identifies the example in messages and outputs: the image path for folders and tables,
/// the sample key (<c>shard.tar:000123</c>'s <c>000123</c>) for WebDataset shards.</param>
/// <param name="Image">Where the pixels come from; call <see cref="ImageSource.Load"/> to decode.</param>
public sealed record Example(string Key, ImageSource Image)
{
    /// <summary>Caption text (WebDataset <c>.txt</c>, the table's caption column), or null.</summary>
    public string? Caption { get; init; }

    /// <summary>Class index into the data set's <see cref="IDomainDataset.ClassNames"/> (or the WebDataset
    /// <c>.cls</c> value), or null when the example is unlabelled.</summary>
    public int? Label { get; init; }

    /// <summary>Domain name (DomainBed folder, the table's domain column), or null.</summary>
    public string? Domain { get; init; }

    /// <summary>Raw JSON metadata (WebDataset <c>.json</c> member), or null.</summary>
    public string? Metadata { get; init; }
}
