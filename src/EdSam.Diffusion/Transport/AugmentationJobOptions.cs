namespace EdSam.Diffusion.Transport;

/// <summary>Options of <see cref="AugmentationJob"/>.</summary>
public sealed record AugmentationJobOptions
{
    /// <summary>The folder the shards are written to (created when missing).</summary>
    /// <value>The default value is empty (must be set).</value>
    public string OutputDirectory { get; init; } = "";

    /// <summary>This worker's index in [0, <see cref="ShardCount"/>) (a Slurm <c>SLURM_ARRAY_TASK_ID</c>, a Kubernetes
    /// <c>JOB_COMPLETION_INDEX</c>).</summary>
    /// <value>The default value is 0.</value>
    public int ShardIndex { get; init; }

    /// <summary>The number of workers sharing the job.</summary>
    /// <value>The default value is 1.</value>
    public int ShardCount { get; init; } = 1;

    /// <summary>Source examples per output shard (each shard holds M times as many samples). Output shard <c>c</c>
    /// covers source examples [c·n, (c+1)·n) and belongs to worker <c>c % ShardCount</c>.</summary>
    /// <value>The default value is 1000.</value>
    public int SourceExamplesPerShard { get; init; } = 1000;

    /// <summary>Output shard names are <c>{ShardPrefix}-{c:D6}.tar</c>.</summary>
    /// <value>The default value is <c>edsam</c>.</value>
    public string ShardPrefix { get; init; } = "edsam";

    /// <summary>Checks every option and reports all errors at once.</summary>
    /// <exception cref="OptionsValidationException">One or more options are invalid; the message lists each.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public AugmentationJobOptions Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(OutputDirectory)) errors.Add("OutputDirectory must name the output folder (was empty).");
        if (ShardCount < 1) errors.Add($"ShardCount must be at least 1 (was {ShardCount}).");
        if (ShardIndex < 0 || ShardIndex >= Math.Max(ShardCount, 1)) errors.Add($"ShardIndex must be in [0, ShardCount={ShardCount}) (was {ShardIndex}).");
        if (SourceExamplesPerShard < 1) errors.Add($"SourceExamplesPerShard must be at least 1 (was {SourceExamplesPerShard}).");
        if (string.IsNullOrEmpty(ShardPrefix) || ShardPrefix.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || ShardPrefix.Contains('.'))
            errors.Add($"ShardPrefix must be a non-empty file-name part without dots (was '{ShardPrefix}').");
        OptionsValidationException.ThrowIfAny("AugmentationJobOptions", errors);
        return this;
    }
}
