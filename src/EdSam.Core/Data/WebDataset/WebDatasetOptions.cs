using Microsoft.Extensions.Logging;

namespace EdSam.Data.WebDataset;

/// <summary>Options of <see cref="WebDatasetReader"/>.</summary>
public sealed record WebDatasetOptions
{
    /// <summary>This worker's index among <see cref="ShardCount"/> workers: it reads shards <c>i</c> with
    /// <c>i % ShardCount == ShardIndex</c> (see <see cref="ShardList.ForWorker"/>).</summary>
    /// <value>The default value is 0.</value>
    public int ShardIndex { get; init; }

    /// <summary>Number of workers the shard list is split over.</summary>
    /// <value>The default value is 1 (this process reads every shard).</value>
    public int ShardCount { get; init; } = 1;

    /// <summary>Member extensions taken as the sample's image, in order of preference (lower case, no dot).</summary>
    /// <value>The default value is jpg, jpeg, png, webp, bmp, gif.</value>
    public IReadOnlyList<string> ImageExtensions { get; init; } = ["jpg", "jpeg", "png", "webp", "bmp", "gif"];

    /// <summary>What to do with a sample without an image, an unreadable member or a truncated shard (Skip ends
    /// that shard and goes on with the next one).</summary>
    /// <value>The default value is <see cref="BadInputPolicy.Fail"/>.</value>
    public BadInputPolicy BadInputPolicy { get; init; } = BadInputPolicy.Fail;

    /// <summary>Receives a warning per skipped problem.</summary>
    /// <value>The default value is null (no logging).</value>
    public ILogger? Logger { get; init; }

    /// <summary>Checks every option and reports all errors at once.</summary>
    /// <exception cref="OptionsValidationException">One or more options are invalid; the message lists each.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public WebDatasetOptions Validate()
    {
        var errors = new List<string>();
        if (ShardCount < 1) errors.Add($"ShardCount must be at least 1 (was {ShardCount}).");
        else if (ShardIndex < 0 || ShardIndex >= ShardCount) errors.Add($"ShardIndex must be in [0, {ShardCount}) (was {ShardIndex}).");
        if (ImageExtensions is null || ImageExtensions.Count == 0) errors.Add("ImageExtensions must list at least one extension.");
        else if (ImageExtensions.Any(e => string.IsNullOrEmpty(e) || e.StartsWith('.'))) errors.Add("ImageExtensions are written without a dot (\"jpg\").");
        if (!Enum.IsDefined(BadInputPolicy)) errors.Add($"BadInputPolicy {(int)BadInputPolicy} is not a defined value.");
        OptionsValidationException.ThrowIfAny("WebDatasetOptions", errors);
        return this;
    }
}
