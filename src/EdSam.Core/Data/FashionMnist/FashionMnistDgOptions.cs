namespace EdSam.Data.FashionMnist;

/// <summary>Options of <see cref="FashionMnistDg.Load"/>.</summary>
public sealed record FashionMnistDgOptions
{
    /// <summary>Where the pictures come from.</summary>
    /// <value>The default value is <see cref="FashionMnistSource.Auto"/>: all 70,000 images when Debian's
    /// <c>dataset-fashion-mnist</c> is installed, the embedded 10,000 otherwise.</value>
    public FashionMnistSource Source { get; init; } = FashionMnistSource.Auto;

    /// <summary>The folder read when <see cref="Source"/> is <see cref="FashionMnistSource.Folder"/>.</summary>
    /// <value>The default value is null.</value>
    public string? Folder { get; init; }

    /// <summary>Side of the rendered square RGB images, in pixels.</summary>
    /// <value>The default value is 32.</value>
    public int ImageSize { get; init; } = 32;

    /// <summary>At most this many examples per domain (class-balanced: the first examples of each domain cycle
    /// through the classes), for quick runs; null keeps every example.</summary>
    /// <value>The default value is null.</value>
    public int? MaxPerDomain { get; init; }

    /// <summary>Seed of everything random: the assignment of pictures to domains, the rendering choices, and each
    /// example's caption template.</summary>
    /// <value>The default value is 0.</value>
    public int Seed { get; init; }

    /// <summary>The domains, in order; null means all of <see cref="FashionMnistDomains.All"/>. At least two.</summary>
    /// <value>The default value is null.</value>
    public IReadOnlyList<FashionMnistDomain>? Domains { get; init; }

    /// <summary>When true (the default), every picture is rendered in exactly one domain — pictures are dealt to
    /// the domains class by class — so, as in PACS, the held-out domain shares no object with the training
    /// domains and leave-one-domain-out measures generalization to a new style, not recognition of a seen
    /// object. When false, every picture appears in every domain (paired renderings: useful to study
    /// consistency across styles, but the test domain then shows objects seen in training).</summary>
    /// <value>The default value is true.</value>
    public bool DisjointDomains { get; init; } = true;

    /// <summary>Checks every option and reports all errors at once.</summary>
    /// <exception cref="OptionsValidationException">One or more options are invalid; the message lists each.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public FashionMnistDgOptions Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Source)) errors.Add($"Source {(int)Source} is not a defined value.");
        if (Source == FashionMnistSource.Folder && string.IsNullOrWhiteSpace(Folder))
            errors.Add("Folder must be set when Source is Folder.");
        if (ImageSize < FashionMnistRenderer.MinImageSize || ImageSize > FashionMnistRenderer.MaxImageSize)
            errors.Add($"ImageSize must be in [{FashionMnistRenderer.MinImageSize}, {FashionMnistRenderer.MaxImageSize}] pixels; got {ImageSize}.");
        if (MaxPerDomain is <= 0) errors.Add($"MaxPerDomain must be positive or null; got {MaxPerDomain}.");
        if (Domains is not null)
        {
            if (Domains.Any(d => !Enum.IsDefined(d))) errors.Add("Domains contains an undefined value.");
            if (Domains.Distinct().Count() != Domains.Count) errors.Add("Domains lists a domain twice.");
            if (Domains.Count < 2) errors.Add($"Domains must list at least two domains (leave-one-domain-out needs a source and a target); got {Domains.Count}.");
        }
        OptionsValidationException.ThrowIfAny("FashionMnistDgOptions", errors);
        return this;
    }
}
