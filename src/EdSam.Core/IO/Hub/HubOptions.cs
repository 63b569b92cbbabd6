namespace EdSam.IO.Hub;

/// <summary>
/// Where <see cref="HubClient"/> downloads model files from and caches them. <see cref="FromEnvironment()"/>
/// reads the same variables as the Hugging Face tools (<c>HF_ENDPOINT</c>, <c>HF_TOKEN</c>,
/// <c>HF_HUB_OFFLINE</c>) plus <c>EDSAM_CACHE</c>.
/// </summary>
public sealed record HubOptions
{
    /// <summary>The public Hugging Face Hub.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Base URL of a Hugging Face-compatible server; files are fetched from
    /// <c>{Endpoint}/{repoId}/resolve/{Revision}/{file}</c>.</summary>
    /// <value>The default value is <see cref="DefaultEndpoint"/> (<c>HF_ENDPOINT</c> in <see cref="FromEnvironment()"/>).</value>
    public string Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>Folder holding downloaded files as <c>{CacheDirectory}/models--{owner}--{name}/snapshots/{revision}/{file}</c>.</summary>
    /// <value>The default value is <c>~/.cache/edsam/hub</c> (<c>$EDSAM_CACHE/hub</c> in <see cref="FromEnvironment()"/>).</value>
    public string CacheDirectory { get; init; } = DefaultCacheDirectory(null);

    /// <summary>Branch, tag or commit to download from.</summary>
    /// <value>The default value is <c>main</c>.</value>
    public string Revision { get; init; } = "main";

    /// <summary>Use only the cache and never touch the network.</summary>
    /// <value>The default value is <see langword="false"/> (<c>HF_HUB_OFFLINE=1</c> in <see cref="FromEnvironment()"/>).</value>
    public bool Offline { get; init; }

    /// <summary>
    /// Whether a cached file of a branch or tag revision (which can move) is checked against the hub before it is used:
    /// one HEAD request compares the hub's version tag (<c>X-Linked-Etag</c>/<c>ETag</c>) with the cached file's, and a
    /// changed file is downloaded again. A commit revision (40 hex digits) never changes and is never checked; offline
    /// mode never checks; an unreachable hub leaves the cached file in use, with a warning.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Revalidate { get; init; } = true;

    /// <summary>Access token sent as <c>Authorization: Bearer</c> to the endpoint's host (never to redirect targets
    /// on other hosts), needed for private and gated repositories.</summary>
    /// <value>The default value is <see langword="null"/> (<c>HF_TOKEN</c> in <see cref="FromEnvironment()"/>).</value>
    public string? Token { get; init; }

    /// <summary>Longest wait for the server to answer or to send more bytes; a stalled transfer fails after it
    /// (a large file may take much longer in total).</summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts per file when the connection drops mid-transfer; each retry resumes from the bytes already
    /// received with an HTTP Range request.</summary>
    /// <value>The default value is 3.</value>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Defaults overridden by <c>HF_ENDPOINT</c>, <c>EDSAM_CACHE</c>, <c>HF_HUB_OFFLINE</c> and <c>HF_TOKEN</c> where set.</summary>
    public static HubOptions FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    internal static HubOptions FromEnvironment(Func<string, string?> variable)
    {
        var options = new HubOptions();
        if (NonEmpty(variable("HF_ENDPOINT")) is { } endpoint) options = options with { Endpoint = endpoint.TrimEnd('/') };
        options = options with { CacheDirectory = DefaultCacheDirectory(NonEmpty(variable("EDSAM_CACHE"))) };
        if (NonEmpty(variable("HF_HUB_OFFLINE")) is { } offline)
            options = options with { Offline = offline.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on" };
        if (NonEmpty(variable("HF_TOKEN")) is { } token) options = options with { Token = token.Trim() };
        return options;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every invalid property at once.</summary>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public HubOptions Validate()
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            errors.Add($"Endpoint must be an absolute http(s) URL (was '{Endpoint}').");
        if (string.IsNullOrWhiteSpace(CacheDirectory)) errors.Add("CacheDirectory must be a folder path.");
        if (string.IsNullOrWhiteSpace(Revision) || Revision.Contains("..") || Revision.Contains('\\'))
            errors.Add($"Revision must be a branch, tag or commit name (was '{Revision}').");
        if (Timeout <= TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan)
            errors.Add($"Timeout must be positive or Timeout.InfiniteTimeSpan (was {Timeout}).");
        if (MaxAttempts < 1) errors.Add($"MaxAttempts must be at least 1 (was {MaxAttempts}).");
        OptionsValidationException.ThrowIfAny("HubOptions", errors);
        return this;
    }

    private static string DefaultCacheDirectory(string? edsamCache)
        => edsamCache is not null
            ? Path.Combine(edsamCache, "hub")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "edsam", "hub");

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
