using EdSam.IO.Hub;

namespace EdSam.Clip;

/// <summary>Options of <see cref="ClipPretrained"/> (and <c>ClipModel.FromPretrained(repoIdOrDirectory)</c>).</summary>
public sealed record ClipPretrainedOptions
{
    /// <summary>Hub endpoint, cache, revision, token, offline mode.</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="HubOptions.FromEnvironment()"/>.</value>
    public HubOptions? Hub { get; init; }

    /// <summary>HTTP client for hub requests (not disposed).</summary>
    /// <value>The default value is <see langword="null"/>: the hub client makes its own.</value>
    public HttpClient? HttpClient { get; init; }

    /// <summary>Device, precision and loading switches for the model.</summary>
    /// <value>The default value is <see langword="null"/>: fp32 on the CPU.</value>
    public ClipLoadOptions? Load { get; init; }
}
