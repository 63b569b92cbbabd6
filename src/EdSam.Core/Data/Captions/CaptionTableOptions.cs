using Microsoft.Extensions.Logging;

namespace EdSam.Data.Captions;

/// <summary>Options of <see cref="CaptionTable.Open"/>.</summary>
public sealed record CaptionTableOptions
{
    /// <summary>Field delimiter; from the extension when null (<c>.tsv</c>/<c>.tab</c> → tab, otherwise comma).</summary>
    /// <value>The default value is null (from the extension).</value>
    public char? Delimiter { get; init; }

    /// <summary>Whether the first row is a header; detected when null (a first row naming a path column —
    /// path, filepath, image, … — and a caption column — caption, text, title, …).</summary>
    /// <value>The default value is null (detect).</value>
    public bool? HasHeader { get; init; }

    /// <summary>Folder that relative image paths are resolved against; the table's own folder when null.</summary>
    /// <value>The default value is null (the table's folder).</value>
    public string? BaseDirectory { get; init; }

    /// <summary>Class names, for tables whose label column holds names rather than indices (matched ordinally,
    /// with <c>_</c> and space treated alike). Not needed for <see cref="CaptionTable.ToDomainDataset"/>,
    /// which discovers them.</summary>
    /// <value>The default value is null.</value>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Check that each image file exists while reading, so a wrong path is reported with its table
    /// line (rather than later, when the image is decoded). Turn off on slow network file systems.</summary>
    /// <value>The default value is true.</value>
    public bool CheckFilesExist { get; init; } = true;

    /// <summary>What to do with a bad row (wrong column count, empty path, bad label, missing image file).</summary>
    /// <value>The default value is <see cref="BadInputPolicy.Fail"/>.</value>
    public BadInputPolicy BadInputPolicy { get; init; } = BadInputPolicy.Fail;

    /// <summary>Receives a warning per skipped row.</summary>
    /// <value>The default value is null (no logging).</value>
    public ILogger? Logger { get; init; }

    /// <summary>Checks every option and reports all errors at once.</summary>
    /// <exception cref="OptionsValidationException">One or more options are invalid; the message lists each.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public CaptionTableOptions Validate()
    {
        var errors = new List<string>();
        if (Delimiter is '"' or '\r' or '\n') errors.Add($"Delimiter cannot be a quote or a line break (was {(int)Delimiter.Value}).");
        if (BaseDirectory is { Length: 0 }) errors.Add("BaseDirectory must be null or non-empty.");
        if (ClassNames is { } names && names.Distinct(StringComparer.Ordinal).Count() != names.Count) errors.Add("ClassNames has duplicates.");
        if (!Enum.IsDefined(BadInputPolicy)) errors.Add($"BadInputPolicy {(int)BadInputPolicy} is not a defined value.");
        OptionsValidationException.ThrowIfAny("CaptionTableOptions", errors);
        return this;
    }
}
