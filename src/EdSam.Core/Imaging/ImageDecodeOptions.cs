namespace EdSam.Imaging;

/// <summary>Options for <see cref="ImageDecoder"/>.</summary>
public sealed record ImageDecodeOptions
{
    /// <summary>The default options.</summary>
    public static ImageDecodeOptions Default { get; } = new();

    /// <summary>How an alpha channel (grey+alpha or RGBA images) becomes RGB.</summary>
    /// <value>The default value is <see cref="AlphaHandling.CompositeOnWhite"/>.</value>
    public AlphaHandling Alpha { get; init; } = AlphaHandling.CompositeOnWhite;

    /// <summary>
    /// Largest image (width × height) accepted; larger ones are refused before their pixels are
    /// allocated, so a hostile header cannot exhaust memory ("decompression bomb").
    /// </summary>
    /// <value>The default value is 178,956,970 pixels, the limit at which PIL raises its decompression-bomb error.</value>
    public long MaxPixels { get; init; } = 178_956_970;

    /// <summary>Throws <see cref="ArgumentException"/> listing every invalid property.</summary>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public ImageDecodeOptions Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Alpha)) errors.Add($"Alpha must be one of {string.Join(", ", Enum.GetNames<AlphaHandling>())} (was {(int)Alpha}).");
        if (MaxPixels < 1) errors.Add($"MaxPixels must be at least 1 (was {MaxPixels}).");
        OptionsValidationException.ThrowIfAny("ImageDecodeOptions", errors);
        return this;
    }
}
