using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdSam.IO.Hub;

/// <summary>
/// Downloads files from a Hugging Face-compatible hub into a local cache and returns their paths.
/// </summary>
/// <remarks>
/// <para>A cached file is returned without downloading it again; for a branch or tag revision (which can move) one HEAD
/// request first checks that the hub still serves the same version (see <see cref="HubOptions.Revalidate"/>). A download streams to
/// <c>&lt;file&gt;.incomplete</c>, resumes an existing partial file with an HTTP Range request (and after a dropped
/// connection, up to <see cref="HubOptions.MaxAttempts"/> times), checks the SHA-256 the server announces in
/// <c>X-Linked-Etag</c>/<c>ETag</c>, and only then renames the file into place — the cache never holds a partial or
/// corrupt file under its final name. A host that cannot be reached at all (the name does not resolve, the connection
/// is refused) is reported at once as <see cref="HubUnreachableException"/>, not retried, and leaves no empty partial file.</para>
/// <para>Thread-safe and safe across processes sharing a cache: one download per file at a time (an OS lock on
/// <c>models--…/locks/{revision}/{file}.lock</c>); the other callers wait for it and then use the file it cached.</para>
/// </remarks>
public sealed partial class HubClient : IDisposable
{
    private const int MaxRedirects = 10;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ILogger _logger;

    /// <summary>Creates a client.</summary>
    /// <param name="options">Hub settings; <see cref="HubOptions.FromEnvironment()"/> when null.</param>
    /// <param name="httpClient">An HTTP client to use (not disposed by this object). When null the client creates
    /// its own, which follows redirects itself so the token never leaves the endpoint's host.</param>
    /// <param name="logger">Receives download messages; none when null.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public HubClient(HubOptions? options = null, HttpClient? httpClient = null, ILogger<HubClient>? logger = null)
    {
        Options = options ?? HubOptions.FromEnvironment();
        Options.Validate();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (httpClient is null)
        {
            _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
            {
                Timeout = System.Threading.Timeout.InfiniteTimeSpan, // enforced per read instead: see HubOptions.Timeout
            };
            _ownsHttp = true;
        }
        else
        {
            _http = httpClient;
        }
    }

    /// <summary>The settings in use.</summary>
    public HubOptions Options { get; }

    /// <summary>The URL a file is downloaded from: <c>{Endpoint}/{repoId}/resolve/{Revision}/{file}</c>.</summary>
    /// <param name="repoId">Repository id, <c>owner/name</c> (or a bare <c>name</c>).</param>
    /// <param name="fileName">Path of the file inside the repository, with <c>/</c> separators.</param>
    /// <returns>The absolute URL with each path segment escaped.</returns>
    /// <exception cref="ArgumentException">The repository id or file name is malformed.</exception>
    public Uri FileUrl(string repoId, string fileName)
    {
        ValidateRepoId(repoId);
        ValidateFileName(fileName);
        string escapedFile = string.Join('/', fileName.Split('/').Select(Uri.EscapeDataString));
        string escapedRevision = Uri.EscapeDataString(Options.Revision);
        return new Uri($"{Options.Endpoint.TrimEnd('/')}/{repoId}/resolve/{escapedRevision}/{escapedFile}");
    }

    /// <summary>Where a file of a repository lives in the cache (whether or not it is there).</summary>
    /// <param name="repoId">Repository id, <c>owner/name</c>.</param>
    /// <param name="fileName">Path of the file inside the repository.</param>
    /// <returns><c>{CacheDirectory}/models--{owner}--{name}/snapshots/{revision}/{file}</c>.</returns>
    /// <exception cref="ArgumentException">The repository id or file name is malformed.</exception>
    public string CachePath(string repoId, string fileName) => RepositoryPath("snapshots", repoId, fileName);

    /// <summary><c>{CacheDirectory}/models--{owner}--{name}/{area}/{revision}/{file}</c>.</summary>
    private string RepositoryPath(string area, string repoId, string fileName)
    {
        ValidateRepoId(repoId);
        ValidateFileName(fileName);
        string repoFolder = "models--" + repoId.Replace("/", "--", StringComparison.Ordinal);
        string revisionFolder = Options.Revision.Replace("/", "--", StringComparison.Ordinal);
        return Path.Combine([Options.CacheDirectory, repoFolder, area, revisionFolder, .. fileName.Split('/')]);
    }

    /// <summary>Returns the cached path of a file when it has been downloaded before.</summary>
    /// <param name="repoId">Repository id.</param>
    /// <param name="fileName">Path of the file inside the repository.</param>
    /// <param name="path">The cached file's path, or null.</param>
    /// <returns>Whether the file is in the cache.</returns>
    public bool TryGetCached(string repoId, string fileName, out string? path)
    {
        string candidate = CachePath(repoId, fileName);
        path = File.Exists(candidate) ? candidate : null;
        return path is not null;
    }

    /// <summary>Returns the local path of a repository file, downloading it into the cache when needed.</summary>
    /// <param name="repoId">Repository id, <c>owner/name</c>.</param>
    /// <param name="fileName">Path of the file inside the repository (for example <c>open_clip_model.safetensors</c>).</param>
    /// <param name="progress">Receives the number of bytes of the file held locally so far (including resumed bytes).</param>
    /// <param name="cancellationToken">Stops the download; the partial file is kept for a later resume.</param>
    /// <returns>The path of the complete, verified file in the cache.</returns>
    /// <exception cref="HubFileNotFoundException">The server answered 404.</exception>
    /// <exception cref="HubOfflineException">Offline mode is on and the file is not cached.</exception>
    /// <exception cref="HubChecksumException">The bytes do not match the announced SHA-256.</exception>
    /// <exception cref="HubUnreachableException">The hub's host does not resolve or refuses the connection (not retried; nothing is left in the cache).</exception>
    /// <exception cref="HubException">Any other HTTP or network failure (401/403 with a hint about tokens, 5xx, dropped connections).</exception>
    public async Task<string> DownloadFileAsync(string repoId, string fileName, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        string target = CachePath(repoId, fileName);
        string partial = target + ".incomplete";
        bool stale = false;
        if (File.Exists(target))
        {
            if (await IsUsableAsync(repoId, fileName, target, cancellationToken).ConfigureAwait(false))
            {
                LogCacheHit(repoId, fileName, target);
                return target;
            }
            LogChanged(repoId, fileName, Options.Revision);
            stale = true;
        }
        if (Options.Offline)
            throw new HubOfflineException(
                $"'{fileName}' of '{repoId}' (revision '{Options.Revision}') is not in the cache '{Options.CacheDirectory}' and offline mode is on " +
                "(HubOptions.Offline or HF_HUB_OFFLINE=1). Download it once while online, or point CacheDirectory/EDSAM_CACHE at a cache that has it.",
                repoId, fileName);

        // One download per file across threads and processes (the workers of a multi-process job all load the same
        // checkpoint): the others wait here and then use the file it left in the cache.
        var (downloadLock, waited) = await AcquireDownloadLockAsync(repoId, fileName, cancellationToken).ConfigureAwait(false);
        await using var heldLock = downloadLock.ConfigureAwait(false);
        // A file that appeared since the first look was downloaded by whoever held the lock; a stale one may have been
        // replaced by the new version while this call waited.
        if (File.Exists(target) && (!stale || (waited && await IsUsableAsync(repoId, fileName, target, cancellationToken).ConfigureAwait(false))))
        {
            LogDownloadedElsewhere(repoId, fileName, target);
            return target;
        }
        // Bytes of an older download of this file must not be resumed into the new version (safe: the lock is ours).
        if (stale && File.Exists(partial)) File.Delete(partial);

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        Uri url = FileUrl(repoId, fileName);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var (expectedSha256, version) = await DownloadToPartialAsync(url, repoId, fileName, partial, progress, cancellationToken).ConfigureAwait(false);
                await VerifyAsync(partial, expectedSha256, url, repoId, fileName, cancellationToken).ConfigureAwait(false);
                File.Move(partial, target, overwrite: true);
                RecordVersion(repoId, fileName, version);
                LogDownloaded(repoId, fileName, target);
                return target;
            }
            catch (TransferInterruptedException interrupted) when (attempt < Options.MaxAttempts)
            {
                LogResuming(repoId, fileName, attempt, interrupted.InnerException?.Message ?? "");
            }
            catch (TransferInterruptedException interrupted)
            {
                long kept = File.Exists(partial) ? new FileInfo(partial).Length : 0;
                if (kept == 0 && File.Exists(partial)) File.Delete(partial); // nothing to resume from
                throw new HubException(
                    $"Downloading '{fileName}' of '{repoId}' from {url} was interrupted {attempt} time(s) ({interrupted.InnerException?.Message}). " +
                    (kept > 0 ? $"The {kept:N0} bytes received are kept in '{partial}'; call again to resume." : "No bytes were received; call again to retry."),
                    repoId, fileName, url, interrupted.InnerException);
            }
            catch (Exception ex) when (ex is not PartialFileInUseException)
            {
                // A refused request (404, 401, …) or an unreachable host leaves an empty partial file behind; a non-empty
                // one is kept to resume.
                if (File.Exists(partial) && new FileInfo(partial).Length == 0) File.Delete(partial);
                throw;
            }
        }
    }

    /// <summary>Synchronous form of <see cref="DownloadFileAsync"/>.</summary>
    /// <param name="repoId">Repository id.</param>
    /// <param name="fileName">Path of the file inside the repository.</param>
    /// <param name="progress">Receives the number of bytes held locally so far.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The path of the complete file in the cache.</returns>
    public string DownloadFile(string repoId, string fileName, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        => Task.Run(() => DownloadFileAsync(repoId, fileName, progress, cancellationToken), cancellationToken).GetAwaiter().GetResult();

    /// <summary>Like <see cref="DownloadFileAsync"/>, but returns null when the file does not exist in the repository
    /// (404) or, offline, is not cached — for optional files such as tokenizer vocabularies.</summary>
    /// <param name="repoId">Repository id.</param>
    /// <param name="fileName">Path of the file inside the repository.</param>
    /// <param name="progress">Receives the number of bytes held locally so far.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The cached path, or null.</returns>
    public async Task<string?> TryDownloadFileAsync(string repoId, string fileName, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await DownloadFileAsync(repoId, fileName, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HubFileNotFoundException or HubOfflineException)
        {
            return null;
        }
    }

    /// <summary>Whether a repository holds a file, without downloading it (a HEAD request; offline: whether it is cached).</summary>
    /// <param name="repoId">Repository id.</param>
    /// <param name="fileName">Path of the file inside the repository.</param>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>True when the file is cached or the server answers 2xx/3xx, false on 404 (or offline and not cached).</returns>
    /// <exception cref="HubException">Any other HTTP status or a network failure.</exception>
    public async Task<bool> ExistsAsync(string repoId, string fileName, CancellationToken cancellationToken = default)
    {
        if (File.Exists(CachePath(repoId, fileName))) return true;
        if (Options.Offline) return false;
        using HttpResponseMessage response = await HeadAsync(repoId, fileName, "look for", cancellationToken).ConfigureAwait(false);
        // Large files answer 302 to their storage location: the file exists.
        if ((int)response.StatusCode is >= 300 and < 400) return true;
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        ThrowForStatus(response, FileUrl(repoId, fileName), repoId, fileName);
        return true;
    }

    /// <summary>A HEAD request for a repository file (redirects are not followed when the client owns its handler).</summary>
    /// <exception cref="HubException">The hub could not be reached.</exception>
    private async Task<HttpResponseMessage> HeadAsync(string repoId, string fileName, string purpose, CancellationToken cancellationToken)
    {
        Uri url = FileUrl(repoId, fileName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ArmTimeout(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Head, url);
        if (Options.Token is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (IsUnreachable(ex))
        {
            throw Unreachable(ex, url, repoId, fileName);
        }
        catch (Exception ex) when (IsTransferFailure(ex, cancellationToken))
        {
            throw new HubException($"Cannot reach {url} to {purpose} '{fileName}' of '{repoId}': {ex.Message}", repoId, fileName, url, ex);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    /// <summary>Streams the file into <paramref name="partial"/>, resuming it when possible; returns the announced SHA-256 and version tag, if any.</summary>
    private async Task<(string? Sha256, string? Version)> DownloadToPartialAsync(Uri url, string repoId, string fileName, string partial, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        // FileShare.None: a writer that bypasses the download lock (another tool on the same cache) fails here instead of interleaving bytes.
        FileStream file;
        try
        {
            file = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1 << 16, useAsync: true);
        }
        catch (IOException ex)
        {
            throw new PartialFileInUseException($"Cannot write '{partial}' (is another download of '{fileName}' of '{repoId}' running?): {ex.Message}", repoId, fileName, url, ex);
        }
        await using (file.ConfigureAwait(false))
        {
            long resumeFrom = file.Length;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ArmTimeout(timeout);
            var (response, expectedSha256, version) = await SendAsync(url, resumeFrom, repoId, fileName, timeout.Token, cancellationToken).ConfigureAwait(false);
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && resumeFrom > 0)
                {
                    // The partial file is as long as (or longer than) the remote one: start over.
                    file.SetLength(0);
                    throw new TransferInterruptedException(new IOException($"the server refused to resume at byte {resumeFrom}"));
                }
                ThrowForStatus(response, url, repoId, fileName);

                ContentRangeHeaderValue? range = response.Content.Headers.ContentRange;
                if (response.StatusCode == HttpStatusCode.PartialContent)
                {
                    if (range?.From != resumeFrom)
                    {
                        // A range we did not ask for cannot be appended: drop the partial file and retry without Range.
                        file.SetLength(0);
                        throw new TransferInterruptedException(new IOException($"asked for bytes from {resumeFrom}, got Content-Range '{range}'"));
                    }
                    file.Seek(resumeFrom, SeekOrigin.Begin);
                    LogResumedAt(repoId, fileName, resumeFrom);
                }
                else
                {
                    // 200: the server ignored the Range header and sends the whole file; rewrite from the start.
                    file.SetLength(0);
                }

                long received = file.Position;
                progress?.Report(received);
                try
                {
                    Stream body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                    await using (body.ConfigureAwait(false))
                    {
                        var buffer = new byte[1 << 16];
                        while (true)
                        {
                            ArmTimeout(timeout);
                            int read = await body.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                            if (read == 0) break;
                            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                            received += read;
                            progress?.Report(received);
                        }
                    }
                }
                catch (Exception ex) when (IsTransferFailure(ex, cancellationToken))
                {
                    await file.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    throw Interrupted(ex);
                }
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);

                long? expectedLength = response.StatusCode == HttpStatusCode.PartialContent ? range?.Length : response.Content.Headers.ContentLength;
                if (expectedLength is { } length && file.Length != length)
                    throw new TransferInterruptedException(new IOException($"received {file.Length:N0} of {length:N0} bytes"));
                return (expectedSha256, version);
            }
        }
    }

    /// <summary>Sends the GET, following redirects itself (when it owns the handler) and collecting the announced digest
    /// and the hub's version tag (from the first answer, the hub's own, as a revalidating HEAD sees it).</summary>
    private async Task<(HttpResponseMessage Response, string? Sha256, string? Version)> SendAsync(Uri url, long resumeFrom, string repoId, string fileName,
        CancellationToken requestToken, CancellationToken callerToken)
    {
        string? sha256 = null, version = null;
        Uri current = url;
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            if (resumeFrom > 0) request.Headers.Range = new RangeHeaderValue(resumeFrom, null);
            // The token is for the hub only: redirects to a CDN or storage host must not receive it.
            if (Options.Token is { } token && SameOrigin(current, url))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, requestToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (IsUnreachable(ex))
            {
                throw Unreachable(ex, current, repoId, fileName);
            }
            catch (Exception ex) when (IsTransferFailure(ex, callerToken))
            {
                throw Interrupted(ex);
            }
            sha256 ??= AnnouncedSha256(response);
            if (hop == 0) version = VersionTag(response);

            int status = (int)response.StatusCode;
            if (status is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (hop >= MaxRedirects)
                    throw new HubException($"Too many redirects downloading '{fileName}' of '{repoId}' from {url}.", repoId, fileName, url);
                current = location.IsAbsoluteUri ? location : new Uri(current, location);
                continue;
            }
            return (response, sha256, version);
        }
    }

    private static void ThrowForStatus(HttpResponseMessage response, Uri url, string repoId, string fileName)
    {
        if (response.IsSuccessStatusCode) return;
        int status = (int)response.StatusCode;
        string hint = status switch
        {
            404 => $"Check the repository id '{repoId}', the revision and the file name; private repositories also answer 404 without a token (set HF_TOKEN).",
            401 or 403 => "The repository is private or gated: accept its terms on the hub and set HubOptions.Token or HF_TOKEN.",
            _ => "Try again later, or set HF_ENDPOINT to a mirror.",
        };
        string message = $"The hub answered {status} ({response.ReasonPhrase}) for '{fileName}' of '{repoId}' at {url}. {hint}";
        if (status == 404) throw new HubFileNotFoundException(message, repoId, fileName, url);
        throw new HubException(message, repoId, fileName, url);
    }

    private static async Task VerifyAsync(string partial, string? expectedSha256, Uri url, string repoId, string fileName, CancellationToken cancellationToken)
    {
        if (expectedSha256 is null) return;
        string actual;
        var stream = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using (stream.ConfigureAwait(false))
            actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        if (actual == expectedSha256) return;
        File.Delete(partial);
        throw new HubChecksumException(
            $"'{fileName}' of '{repoId}' downloaded from {url} has SHA-256 {actual}, but the server announced {expectedSha256}. " +
            "The corrupt download was deleted; try again.", repoId, fileName, url, expectedSha256, actual);
    }

    /// <summary>Whether a cached file may be used as it is: offline, without revalidation, at a commit, or still current on the hub.</summary>
    private async Task<bool> IsUsableAsync(string repoId, string fileName, string target, CancellationToken cancellationToken)
        => Options.Offline || !Options.Revalidate || CommitHash().IsMatch(Options.Revision)
           || await IsCurrentAsync(repoId, fileName, target, cancellationToken).ConfigureAwait(false);

    /// <summary>Where the lock of a file's download lives: beside the snapshot, like the version tags.</summary>
    internal string LockPath(string repoId, string fileName) => RepositoryPath("locks", repoId, fileName) + ".lock";

    /// <summary>
    /// Takes the file's download lock — an exclusively opened lock file (an OS file lock, so it also excludes other
    /// processes and is released if the holder dies) — waiting while another download holds it.
    /// </summary>
    /// <returns>The open lock file (closing it releases the lock) and whether another download held it first.</returns>
    private async Task<(FileStream Lock, bool Waited)> AcquireDownloadLockAsync(string repoId, string fileName, CancellationToken cancellationToken)
    {
        string path = LockPath(repoId, fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        bool waited = false;
        var sinceLastLog = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return (new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1), waited);
            }
            catch (IOException ex) when (IsSharingViolation(ex))
            {
                if (!waited || sinceLastLog.Elapsed >= LockWaitLogInterval)
                {
                    LogWaitingForLock(repoId, fileName, path);
                    sinceLastLog.Restart();
                }
                waited = true;
                await Task.Delay(LockPollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static readonly TimeSpan LockPollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LockWaitLogInterval = TimeSpan.FromSeconds(30);

    /// <summary>The file is open elsewhere without sharing. Windows reports ERROR_SHARING_VIOLATION (32); on Unix .NET takes
    /// an advisory <c>flock</c> for <see cref="FileShare.None"/> and reports the errno of a held one, EWOULDBLOCK.</summary>
    private static bool IsSharingViolation(IOException ex) => OperatingSystem.IsWindows()
        ? (ex.HResult & 0xFFFF) == 32
        : ex.HResult == (OperatingSystem.IsLinux() ? 11 : 35); // EWOULDBLOCK: 11 on Linux, 35 on macOS and the BSDs

    /// <summary>
    /// Whether the cached <paramref name="target"/> is still the version the hub serves for the revision: one HEAD
    /// request, compared with the tag recorded at download time (or, for a file cached without one, with the file's own
    /// SHA-256 or git blob id). A failed request keeps the cached file: a load that needs no download must not fail
    /// because the hub is unreachable.
    /// </summary>
    private async Task<bool> IsCurrentAsync(string repoId, string fileName, string target, CancellationToken cancellationToken)
    {
        string? remote;
        try
        {
            remote = await RemoteVersionAsync(repoId, fileName, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException ex)
        {
            LogRevalidationFailed(repoId, fileName, ex.Message);
            return true;
        }
        if (remote is null) return true; // the hub names no version: nothing to compare with
        string versionPath = VersionPath(repoId, fileName);
        string? local = File.Exists(versionPath) ? File.ReadAllText(versionPath).Trim() : null;
        local ??= await HubFileVersion.OfFileAsync(target, remote, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(local, remote, StringComparison.OrdinalIgnoreCase)) return false;
        RecordVersion(repoId, fileName, remote);
        return true;
    }

    /// <summary>The hub's version tag of a file (HEAD, redirects not followed), or null when it sends none.</summary>
    /// <exception cref="HubException">Not found, any other refused status, or a network failure.</exception>
    private async Task<string?> RemoteVersionAsync(string repoId, string fileName, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await HeadAsync(repoId, fileName, "check", cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode is < 300 or >= 400) ThrowForStatus(response, FileUrl(repoId, fileName), repoId, fileName);
        return VersionTag(response);
    }

    /// <summary>Where the version tag of a cached file is kept: beside the snapshot, not in it, so snapshot folders hold only the repository's files.</summary>
    private string VersionPath(string repoId, string fileName) => RepositoryPath("versions", repoId, fileName);

    private void RecordVersion(string repoId, string fileName, string? version)
    {
        string path = VersionPath(repoId, fileName);
        if (version is null)
        {
            if (File.Exists(path)) File.Delete(path); // no tag from the hub: an older one must not vouch for this file
            return;
        }
        AtomicFile.WriteAllText(path, version);
    }

    /// <summary>The first tag in <c>X-Linked-Etag</c> (large files: their SHA-256) or <c>ETag</c>.</summary>
    internal static string? VersionTag(HttpResponseMessage response) => Tags(response).FirstOrDefault();

    /// <summary>The SHA-256 in <c>X-Linked-Etag</c> (large files) or <c>ETag</c>, when it holds 64 hex digits (git blob
    /// ids (40) and storage MD5s (32) are not digests of the whole file and are ignored).</summary>
    internal static string? AnnouncedSha256(HttpResponseMessage response) =>
        Tags(response).FirstOrDefault(tag => Sha256Hex().IsMatch(tag))?.ToLowerInvariant();

    /// <summary>The values of <c>X-Linked-Etag</c>, then <c>ETag</c>, without <c>W/</c> and quotes.</summary>
    private static IEnumerable<string> Tags(HttpResponseMessage response)
    {
        foreach (string header in new[] { "X-Linked-Etag", "ETag" })
        {
            if (!response.Headers.TryGetValues(header, out IEnumerable<string>? values)) continue;
            foreach (string value in values)
            {
                string tag = value.Trim();
                if (tag.StartsWith("W/", StringComparison.Ordinal)) tag = tag[2..];
                tag = tag.Trim('"');
                if (tag.Length > 0) yield return tag;
            }
        }
    }

    /// <summary>Wraps a network failure for a retry; our own inactivity timeout is reported as such, not as a cancellation.</summary>
    private TransferInterruptedException Interrupted(Exception ex)
        => new(ex is OperationCanceledException ? new TimeoutException($"the server sent nothing for {Options.Timeout.TotalSeconds:0.###} s (HubOptions.Timeout)", ex) : ex);

    private void ArmTimeout(CancellationTokenSource timeout)
    {
        if (Options.Timeout != System.Threading.Timeout.InfiniteTimeSpan) timeout.CancelAfter(Options.Timeout);
    }

    /// <summary>
    /// The host could not be reached at all (its name does not resolve, the connection is refused or fails before any
    /// answer), as opposed to a transfer that dropped: retrying at once cannot help, so it is reported, not retried.
    /// </summary>
    private static bool IsUnreachable(HttpRequestException ex)
        => ex.StatusCode is null && ex.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.ProxyTunnelError;

    private static HubUnreachableException Unreachable(HttpRequestException ex, Uri url, string repoId, string fileName)
    {
        string why = ex.HttpRequestError == HttpRequestError.NameResolutionError ? $"the name '{url.Host}' does not resolve" : ex.Message;
        return new HubUnreachableException(
            $"Cannot reach {url.Authority}: {why} (downloading '{fileName}' of '{repoId}' from {url}). " +
            "Check the network connection and HF_ENDPOINT (HubOptions.Endpoint), or set HF_HUB_OFFLINE=1 to use only the cache.",
            repoId, fileName, url, ex);
    }

    /// <summary>Network failures and our inactivity timeout (not the caller's cancellation).</summary>
    private static bool IsTransferFailure(Exception ex, CancellationToken callerToken)
        => ex is IOException or HttpRequestException || (ex is OperationCanceledException && !callerToken.IsCancellationRequested);

    private static bool SameOrigin(Uri a, Uri b)
        => a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    internal static void ValidateRepoId(string repoId)
    {
        ArgumentNullException.ThrowIfNull(repoId);
        if (!RepoIdPattern().IsMatch(repoId) || repoId.Contains("..", StringComparison.Ordinal))
            throw new ArgumentException($"'{repoId}' is not a hub repository id: expected 'owner/name' of letters, digits, '-', '_' and '.'.", nameof(repoId));
    }

    internal static void ValidateFileName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        string[] segments = fileName.Split('/');
        if (fileName.Length == 0 || fileName.Contains('\\') || segments.Any(s => s.Length == 0 || s is "." or ".." || s.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0))
            throw new ArgumentException($"'{fileName}' is not a file path inside a repository (relative, '/'-separated, no '..').", nameof(fileName));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?$")]
    private static partial Regex RepoIdPattern();

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();

    [LoggerMessage(Level = LogLevel.Debug, Message = "{RepoId}/{FileName}: cache hit at {Path}")]
    private partial void LogCacheHit(string repoId, string fileName, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RepoId}/{FileName}: downloaded to {Path}")]
    private partial void LogDownloaded(string repoId, string fileName, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RepoId}/{FileName}: changed on the hub since it was cached (revision {Revision}); downloading it again")]
    private partial void LogChanged(string repoId, string fileName, string revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{RepoId}/{FileName}: could not check the cached file against the hub ({Reason}); using it as cached")]
    private partial void LogRevalidationFailed(string repoId, string fileName, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RepoId}/{FileName}: waiting for another download of this file to finish (lock {LockPath})")]
    private partial void LogWaitingForLock(string repoId, string fileName, string lockPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RepoId}/{FileName}: downloaded by another process or thread to {Path}")]
    private partial void LogDownloadedElsewhere(string repoId, string fileName, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RepoId}/{FileName}: resuming at byte {Offset}")]
    private partial void LogResumedAt(string repoId, string fileName, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{RepoId}/{FileName}: attempt {Attempt} interrupted ({Reason}); resuming")]
    private partial void LogResuming(string repoId, string fileName, int attempt, string reason);

    /// <summary>Another download owns the partial file: it must not be touched.</summary>
    private sealed class PartialFileInUseException(string message, string repoId, string fileName, Uri url, Exception inner)
        : HubException(message, repoId, fileName, url, inner);

    /// <summary>A dropped or stalled transfer that a retry can resume.</summary>
    private sealed class TransferInterruptedException(Exception inner) : Exception(inner.Message, inner);
}
