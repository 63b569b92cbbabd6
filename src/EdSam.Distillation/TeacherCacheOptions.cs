using Microsoft.Extensions.Logging;

namespace EdSam.Distillation;

/// <summary>How <see cref="TeacherEmbeddingCache"/> computes missing embeddings.</summary>
public sealed record TeacherCacheOptions
{
    /// <summary>Images per teacher forward pass.</summary>
    /// <value>The default value is 64.</value>
    public int BatchSize { get; init; } = 64;

    /// <summary>Receives the number of embeddings computed so far after each batch; null for none.</summary>
    /// <value>The default value is null.</value>
    public IProgress<int>? Progress { get; init; }

    /// <summary>Receives cache decisions (hit, stale and why, rebuilt); null for none.</summary>
    /// <value>The default value is null.</value>
    public ILogger? Logger { get; init; }

    /// <summary>Checks every property and reports all problems at once.</summary>
    /// <exception cref="OptionsValidationException">A property is invalid.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public TeacherCacheOptions Validate()
    {
        if (BatchSize < 1) throw new OptionsValidationException(nameof(TeacherCacheOptions), [$"BatchSize: must be positive; got {BatchSize}."]);
        return this;
    }
}
