using Microsoft.Extensions.Logging;

namespace EdSam.Data.DomainBed;

/// <summary>Options of <see cref="DomainBedFolder.Open"/>.</summary>
public sealed record DomainBedOptions
{
    /// <summary>File extensions taken as images (case-insensitive, with the dot); other files are ignored.</summary>
    /// <value>The default value is .jpg, .jpeg, .png, .bmp, .gif.</value>
    public IReadOnlyList<string> ImageExtensions { get; init; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif"];

    /// <summary>What to do with an empty class folder or a class that a domain lacks.</summary>
    /// <value>The default value is <see cref="BadInputPolicy.Fail"/>.</value>
    public BadInputPolicy BadInputPolicy { get; init; } = BadInputPolicy.Fail;

    /// <summary>Name of the data set; the root folder's name when null.</summary>
    /// <value>The default value is null.</value>
    public string? Name { get; init; }

    /// <summary>Receives a warning per skipped problem.</summary>
    /// <value>The default value is null (no logging).</value>
    public ILogger? Logger { get; init; }

    /// <summary>Checks every option and reports all errors at once.</summary>
    /// <exception cref="OptionsValidationException">One or more options are invalid; the message lists each.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public DomainBedOptions Validate()
    {
        var errors = new List<string>();
        if (ImageExtensions is null || ImageExtensions.Count == 0) errors.Add("ImageExtensions must list at least one extension.");
        else if (ImageExtensions.Any(e => string.IsNullOrEmpty(e) || e[0] != '.')) errors.Add("Each of ImageExtensions must start with a dot (\".jpg\").");
        if (!Enum.IsDefined(BadInputPolicy)) errors.Add($"BadInputPolicy {(int)BadInputPolicy} is not a defined value.");
        if (Name is { Length: 0 }) errors.Add("Name must be null or non-empty.");
        OptionsValidationException.ThrowIfAny("DomainBedOptions", errors);
        return this;
    }
}
