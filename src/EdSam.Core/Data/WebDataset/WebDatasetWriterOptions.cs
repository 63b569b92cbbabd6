namespace EdSam.Data.WebDataset;

/// <summary>Options of <see cref="WebDatasetWriter"/>.</summary>
public sealed record WebDatasetWriterOptions
{
    /// <summary>A new shard is started after this many samples.</summary>
    /// <value>The default value is 10,000 (img2dataset's default).</value>
    public int MaxSamplesPerShard { get; init; } = 10_000;

    /// <summary>A new shard is started before a sample that would take the shard past this many bytes (a shard
    /// always holds at least one sample).</summary>
    /// <value>The default value is 1 GiB.</value>
    public long MaxBytesPerShard { get; init; } = 1L << 30;

    /// <summary>Shard file name for shard number <c>{0}</c> (a .NET composite format).</summary>
    /// <value>The default value is <c>{0:D6}.tar</c> (000000.tar, 000001.tar, …).</value>
    public string ShardNameFormat { get; init; } = "{0:D6}.tar";

    /// <summary>Checks every option and reports all errors at once.</summary>
    /// <exception cref="OptionsValidationException">One or more options are invalid; the message lists each.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public WebDatasetWriterOptions Validate()
    {
        var errors = new List<string>();
        if (MaxSamplesPerShard < 1) errors.Add($"MaxSamplesPerShard must be at least 1 (was {MaxSamplesPerShard}).");
        if (MaxBytesPerShard < 1) errors.Add($"MaxBytesPerShard must be at least 1 (was {MaxBytesPerShard}).");
        if (string.IsNullOrEmpty(ShardNameFormat) || !ShardNameFormat.Contains("{0"))
            errors.Add("ShardNameFormat must contain the shard number placeholder {0} (e.g. \"{0:D6}.tar\").");
        else
        {
            try
            {
                string first = string.Format(System.Globalization.CultureInfo.InvariantCulture, ShardNameFormat, 0);
                if (first.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0) errors.Add($"ShardNameFormat gives an invalid file name ('{first}').");
            }
            catch (FormatException)
            {
                errors.Add($"ShardNameFormat '{ShardNameFormat}' is not a valid .NET format string.");
            }
        }
        OptionsValidationException.ThrowIfAny("WebDatasetWriterOptions", errors);
        return this;
    }
}
