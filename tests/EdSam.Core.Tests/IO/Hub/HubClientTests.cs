using System.Collections.Concurrent;
using System.Security.Cryptography;
using EdSam.IO.Hub;

namespace EdSam.Tests.IO.Hub;

public sealed class HubClientTests : IDisposable
{
    private const string Repo = "openai/clip-tiny";
    private const string File1 = "open_clip_model.safetensors";
    private readonly string _cache = Directory.CreateTempSubdirectory("edsam-hub-").FullName;
    private readonly byte[] _weights = RandomBytes(5000, seed: 1);

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Every file in the cache except the download locks (empty files kept between downloads, like the hub tools' <c>.locks</c>).</summary>
    private string[] CachedFiles() => Directory.GetFiles(_cache, "*", SearchOption.AllDirectories)
        .Where(path => !Path.GetRelativePath(_cache, path).Split(Path.DirectorySeparatorChar).Contains("locks"))
        .ToArray();

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private HubOptions Options(LoopbackHttpServer server) => new()
    {
        Endpoint = server.BaseUrl.ToString().TrimEnd('/'),
        CacheDirectory = _cache,
        Timeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>Serves one file like the hub: honours <c>Range: bytes=N-</c>, announces the SHA-256 in X-Linked-Etag.</summary>
    private static Func<RecordedRequest, LoopbackResponse> Hub(byte[] content, string path, Func<int, int?>? cutAfterForRequest = null,
        string? announcedSha = null, bool honourRange = true)
    {
        int count = 0;
        string sha = announcedSha ?? Sha256(content);
        return request =>
        {
            int index = Interlocked.Increment(ref count);
            if (request.Path != path) return new LoopbackResponse(404, "Entry not found"u8.ToArray());
            var headers = new Dictionary<string, string> { ["X-Linked-Etag"] = $"\"{sha}\"", ["ETag"] = "\"0123456789abcdef0123456789abcdef01234567\"" };
            int? cut = cutAfterForRequest?.Invoke(index);
            if (honourRange && request.Header("Range") is { } range && range.StartsWith("bytes=") && range.EndsWith('-'))
            {
                int from = int.Parse(range["bytes=".Length..^1]);
                headers["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}";
                return new LoopbackResponse(206, content[from..], headers, cut);
            }
            return new LoopbackResponse(200, content, headers, cut);
        };
    }

    [Fact]
    public async Task Downloads_into_the_cache_and_then_serves_from_it_after_one_HEAD()
    {
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}"));
        using var hub = new HubClient(Options(server));
        var progress = new RecordingProgress();

        string path = await hub.DownloadFileAsync(Repo, File1, progress);
        string again = await hub.DownloadFileAsync(Repo, File1);

        File.ReadAllBytes(path).Should().Equal(_weights);
        path.Should().Be(Path.Combine(_cache, "models--openai--clip-tiny", "snapshots", "main", File1));
        again.Should().Be(path);
        // "main" can move: the second call asks whether the file changed (HEAD) and, as it did not, downloads nothing.
        server.Requests.Select(r => (r.Method, r.Path)).Should().Equal(("GET", $"/{Repo}/resolve/main/{File1}"), ("HEAD", $"/{Repo}/resolve/main/{File1}"));
        progress.Values.Last().Should().Be(_weights.Length);
        progress.Values.Should().BeInAscendingOrder();
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().Equal(path);
        hub.TryGetCached(Repo, File1, out string? cached).Should().BeTrue();
        cached.Should().Be(path);
    }

    [Fact]
    public async Task A_file_changed_on_the_hub_since_it_was_cached_is_downloaded_again()
    {
        byte[] current = _weights;
        byte[] updated = RandomBytes(3000, seed: 2);
        using var server = new LoopbackHttpServer(request => Hub(current, $"/{Repo}/resolve/main/{File1}")(request));
        using var hub = new HubClient(Options(server));

        string first = await hub.DownloadFileAsync(Repo, File1);
        current = updated; // someone pushes a new version to "main"
        string second = await hub.DownloadFileAsync(Repo, File1);
        string third = await hub.DownloadFileAsync(Repo, File1);

        second.Should().Be(first);
        File.ReadAllBytes(third).Should().Equal(updated);
        server.Requests.Select(r => r.Method).Should().Equal("GET", "HEAD", "GET", "HEAD");
    }

    [Fact]
    public async Task A_commit_revision_is_never_checked_again_and_neither_is_a_cache_without_revalidation()
    {
        const string commit = "0123456789abcdef0123456789abcdef01234567";
        using var server = new LoopbackHttpServer(request => request.Path.Contains($"/resolve/{commit}/") || request.Path.Contains("/resolve/main/")
            ? new LoopbackResponse(200, _weights, new Dictionary<string, string> { ["X-Linked-Etag"] = $"\"{Sha256(_weights)}\"" })
            : new LoopbackResponse(404, []));
        using var pinned = new HubClient(Options(server) with { Revision = commit });
        using var unchecked_ = new HubClient(Options(server) with { Revalidate = false });

        await pinned.DownloadFileAsync(Repo, File1);
        await pinned.DownloadFileAsync(Repo, File1);
        await unchecked_.DownloadFileAsync(Repo, File1);
        await unchecked_.DownloadFileAsync(Repo, File1);

        server.Requests.Should().HaveCount(2).And.OnlyContain(r => r.Method == "GET");
    }

    [Fact]
    public async Task An_unreachable_hub_leaves_the_cached_file_in_use()
    {
        HubOptions options;
        string path;
        using (var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}")))
        {
            options = Options(server);
            using var online = new HubClient(options);
            path = await online.DownloadFileAsync(Repo, File1);
        }
        using var failing = new LoopbackHttpServer(_ => new LoopbackResponse(503, []));
        using var hubDown = new HubClient(options);
        using var hubFailing = new HubClient(Options(failing));

        (await hubDown.DownloadFileAsync(Repo, File1)).Should().Be(path, "the server is gone");
        (await hubFailing.DownloadFileAsync(Repo, File1)).Should().Be(path, "the server answers 503");
        File.ReadAllBytes(path).Should().Equal(_weights);
    }

    [Theory]
    [InlineData("X-Linked-Etag", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")] // SHA-256 of "hello\n" (Git LFS files)
    [InlineData("ETag", "ce013625030ba8dba906f756967f9e9ca394464a")] // `echo hello | git hash-object --stdin` (small files)
    public async Task A_file_cached_without_its_version_is_checked_by_its_own_hash(string header, string tag)
    {
        byte[] hello = "hello\n"u8.ToArray(), bye = "bye\n"u8.ToArray();
        (byte[] Body, string Tag) served = (hello, tag);
        using var server = new LoopbackHttpServer(request => new LoopbackResponse(200, served.Body, new Dictionary<string, string> { [header] = $"\"{served.Tag}\"" }));
        using var hub = new HubClient(Options(server));
        string path = await hub.DownloadFileAsync(Repo, "config.json");
        // A cache written before versions were recorded: only the file itself is there.
        Directory.Delete(Path.Combine(_cache, "models--openai--clip-tiny", "versions"), recursive: true);

        await hub.DownloadFileAsync(Repo, "config.json");
        served = (bye, header == "ETag" ? new string('0', 40) : Sha256(bye)); // the hub now serves another version
        await hub.DownloadFileAsync(Repo, "config.json");

        server.Requests.Select(r => r.Method).Should().Equal("GET", "HEAD", "HEAD", "GET");
        File.ReadAllBytes(path).Should().Equal(bye);
    }

    [Fact]
    public async Task A_cut_transfer_is_resumed_with_a_range_request()
    {
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}", cutAfterForRequest: i => i == 1 ? 1800 : null));
        using var hub = new HubClient(Options(server));

        string path = await hub.DownloadFileAsync(Repo, File1);

        File.ReadAllBytes(path).Should().Equal(_weights);
        RecordedRequest[] requests = server.Requests.ToArray();
        requests.Should().HaveCount(2);
        requests[0].Header("Range").Should().BeNull();
        requests[1].Header("Range").Should().Be($"bytes={1800}-");
    }

    /// <summary>A loopback port nothing listens on: connecting to it is refused at once.</summary>
    internal static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Counts the requests the client sends (each attempt is one), passing them on to a real socket handler.</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        public int Requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Requests);
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task A_refused_connection_is_reported_as_unreachable_once_and_leaves_no_partial_file()
    {
        int port = ClosedPort();
        using var handler = new CountingHandler();
        using var http = new HttpClient(handler);
        using var hub = new HubClient(new HubOptions { Endpoint = $"http://127.0.0.1:{port}", CacheDirectory = _cache, MaxAttempts = 3 }, http);

        var act = () => hub.DownloadFileAsync(Repo, File1);

        var error = (await act.Should().ThrowAsync<HubUnreachableException>()).Which;
        error.Message.Should().StartWith($"Cannot reach 127.0.0.1:{port}: ").And.Contain(File1).And.NotContain("interrupted");
        error.Host.Should().Be("127.0.0.1");
        handler.Requests.Should().Be(1, "a refused connection is not a dropped transfer: retrying at once cannot help");
        CachedFiles().Should().BeEmpty("no byte was received, so there is nothing to resume");
    }

    [SkippableFact]
    public async Task A_host_name_that_does_not_resolve_is_reported_as_unreachable_without_retrying()
    {
        // The .invalid top-level domain never resolves (RFC 2606); skip where the resolver takes long to say so.
        const string host = "hub.edsam-tests.invalid";
        var lookup = System.Net.Dns.GetHostAddressesAsync(host);
        bool answered = await Task.WhenAny(lookup, Task.Delay(TimeSpan.FromSeconds(2))) == lookup;
        Skip.IfNot(answered && lookup.IsFaulted, $"the resolver does not fail fast for '{host}' here");

        using var handler = new CountingHandler();
        using var http = new HttpClient(handler);
        using var hub = new HubClient(new HubOptions { Endpoint = $"http://{host}", CacheDirectory = _cache, MaxAttempts = 3 }, http);

        var act = () => hub.DownloadFileAsync(Repo, File1);

        (await act.Should().ThrowAsync<HubUnreachableException>())
            .WithMessage($"Cannot reach {host}: the name '{host}' does not resolve (downloading '{File1}' of '{Repo}'*HF_ENDPOINT*");
        handler.Requests.Should().Be(1);
        CachedFiles().Should().BeEmpty();
    }

    [Fact]
    public async Task A_transfer_dropped_before_any_byte_keeps_no_empty_partial_file()
    {
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}", cutAfterForRequest: _ => 0));
        using var hub = new HubClient(Options(server) with { MaxAttempts = 2 });

        var act = () => hub.DownloadFileAsync(Repo, File1);

        (await act.Should().ThrowAsync<HubException>()).Which.Message.Should().Contain("interrupted 2 time(s)")
            .And.Contain("No bytes were received").And.NotContain(".incomplete");
        CachedFiles().Should().BeEmpty();
    }

    [Fact]
    public async Task A_partial_file_left_by_a_failed_call_is_resumed_by_the_next_call()
    {
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}", cutAfterForRequest: i => i == 1 ? 3000 : null));
        using var hub = new HubClient(Options(server) with { MaxAttempts = 1 });

        var first = () => hub.DownloadFileAsync(Repo, File1);
        (await first.Should().ThrowAsync<HubException>()).WithMessage("*interrupted*call again to resume*");
        string partial = hub.CachePath(Repo, File1) + ".incomplete";
        new FileInfo(partial).Length.Should().Be(3000);
        File.Exists(hub.CachePath(Repo, File1)).Should().BeFalse();

        string path = await hub.DownloadFileAsync(Repo, File1);

        File.ReadAllBytes(path).Should().Equal(_weights);
        server.Requests.Last().Header("Range").Should().Be("bytes=3000-");
        File.Exists(partial).Should().BeFalse();
    }

    [Fact]
    public async Task A_server_that_ignores_range_restarts_the_file_from_the_beginning()
    {
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}", cutAfterForRequest: i => i == 1 ? 1000 : null, honourRange: false));
        using var hub = new HubClient(Options(server));

        string path = await hub.DownloadFileAsync(Repo, File1);

        File.ReadAllBytes(path).Should().Equal(_weights);
        server.Requests.Should().HaveCount(2);
    }

    [Fact]
    public async Task A_checksum_mismatch_throws_and_leaves_nothing_in_the_cache()
    {
        string wrong = new('a', 64);
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}", announcedSha: wrong));
        using var hub = new HubClient(Options(server));

        var act = () => hub.DownloadFileAsync(Repo, File1);

        var error = (await act.Should().ThrowAsync<HubChecksumException>()).Which;
        error.ExpectedSha256.Should().Be(wrong);
        error.ActualSha256.Should().Be(Sha256(_weights));
        error.Message.Should().Contain(Repo).And.Contain(File1);
        CachedFiles().Should().BeEmpty();
    }

    [Fact]
    public async Task Not_found_names_the_url_and_the_repository()
    {
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}"));
        using var hub = new HubClient(Options(server));

        var act = () => hub.DownloadFileAsync(Repo, "pytorch_model.bin");

        var error = (await act.Should().ThrowAsync<HubFileNotFoundException>()).Which;
        error.Url.Should().Be(new Uri(server.BaseUrl, $"/{Repo}/resolve/main/pytorch_model.bin"));
        error.Message.Should().Contain("404").And.Contain(Repo).And.Contain(error.Url!.ToString());
        (await hub.TryDownloadFileAsync(Repo, "pytorch_model.bin")).Should().BeNull();
        CachedFiles().Should().BeEmpty();
    }

    [Fact]
    public async Task Offline_mode_uses_only_the_cache()
    {
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}"));
        using (var online = new HubClient(Options(server))) await online.DownloadFileAsync(Repo, File1);
        using var offline = new HubClient(Options(server) with { Offline = true });

        string hit = await offline.DownloadFileAsync(Repo, File1);
        var miss = () => offline.DownloadFileAsync(Repo, "config.json");

        File.ReadAllBytes(hit).Should().Equal(_weights);
        (await miss.Should().ThrowAsync<HubOfflineException>()).WithMessage($"*'config.json' of '{Repo}'*offline*");
        (await offline.TryDownloadFileAsync(Repo, "config.json")).Should().BeNull();
        server.Requests.Should().ContainSingle("only the online client made a request");
    }

    [Fact]
    public async Task The_token_is_sent_to_the_hub_but_not_to_a_redirect_target_on_another_host()
    {
        using var storage = new LoopbackHttpServer(request => new LoopbackResponse(200, _weights,
            new Dictionary<string, string> { ["ETag"] = "\"d41d8cd98f00b204e9800998ecf8427e\"" }));
        using var hubServer = new LoopbackHttpServer(request => new LoopbackResponse(302, [],
            new Dictionary<string, string> { ["Location"] = new Uri(storage.BaseUrl, "/blobs/xyz").ToString(), ["X-Linked-Etag"] = $"\"{Sha256(_weights)}\"" }));
        using var hub = new HubClient(Options(hubServer) with { Token = "hf_secret" });

        string path = await hub.DownloadFileAsync(Repo, File1);

        File.ReadAllBytes(path).Should().Equal(_weights);
        hubServer.Requests.Should().ContainSingle().Which.Header("Authorization").Should().Be("Bearer hf_secret");
        storage.Requests.Should().ContainSingle().Which.Header("Authorization").Should().BeNull();
    }

    [Fact]
    public async Task The_digest_from_a_redirect_is_checked_against_the_final_bytes()
    {
        using var storage = new LoopbackHttpServer(request => new LoopbackResponse(200, RandomBytes(5000, seed: 99)));
        using var hubServer = new LoopbackHttpServer(request => new LoopbackResponse(302, [],
            new Dictionary<string, string> { ["Location"] = new Uri(storage.BaseUrl, "/blobs/xyz").ToString(), ["X-Linked-Etag"] = $"\"{Sha256(_weights)}\"" }));
        using var hub = new HubClient(Options(hubServer));

        var act = () => hub.DownloadFileAsync(Repo, File1);

        await act.Should().ThrowAsync<HubChecksumException>();
    }

    [Fact]
    public async Task An_injected_http_client_is_used_and_not_disposed()
    {
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}"));
        using var http = new HttpClient();
        using (var hub = new HubClient(Options(server), http)) await hub.DownloadFileAsync(Repo, File1);

        using var response = await http.GetAsync(new Uri(server.BaseUrl, $"/{Repo}/resolve/main/{File1}"));
        response.IsSuccessStatusCode.Should().BeTrue();
    }

    [Fact]
    public async Task A_range_the_client_did_not_ask_for_is_not_appended()
    {
        int count = 0;
        using var server = new LoopbackHttpServer(request =>
        {
            if (Interlocked.Increment(ref count) == 1) return new LoopbackResponse(200, _weights, CutAfter: 1000);
            if (request.Header("Range") is not null)
                return new LoopbackResponse(206, _weights[10..], new Dictionary<string, string> { ["Content-Range"] = $"bytes 10-{_weights.Length - 1}/{_weights.Length}" });
            return new LoopbackResponse(200, _weights);
        });
        using var hub = new HubClient(Options(server));

        string path = await hub.DownloadFileAsync(Repo, File1);

        File.ReadAllBytes(path).Should().Equal(_weights);
        server.Requests.Select(r => r.Header("Range")).Should().Equal(null, "bytes=1000-", null);
    }

    [Fact]
    public async Task A_stalled_server_times_out_and_cancellation_keeps_the_partial_file()
    {
        using var release = new ManualResetEventSlim();
        using var server = new LoopbackHttpServer(request =>
        {
            release.Wait(TimeSpan.FromSeconds(5)); // answer nothing until the test is over
            return new LoopbackResponse(200, _weights);
        });
        try
        {
            using var hub = new HubClient(Options(server) with { Timeout = TimeSpan.FromMilliseconds(300), MaxAttempts = 1 });
            var timedOut = () => hub.DownloadFileAsync(Repo, File1);
            (await timedOut.Should().ThrowAsync<HubException>()).WithMessage("*interrupted*sent nothing for 0.3 s*");

            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            using var patient = new HubClient(Options(server));
            var cancelled = () => patient.DownloadFileAsync(Repo, File1, cancellationToken: cancel.Token);
            await cancelled.Should().ThrowAsync<OperationCanceledException>();
            File.Exists(patient.CachePath(Repo, File1)).Should().BeFalse();
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public async Task A_download_held_by_another_process_is_waited_for_and_its_file_used()
    {
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}"));
        using var hub = new HubClient(Options(server));
        string lockPath = hub.LockPath(Repo, File1);
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);

        Task<string> waiting;
        using (new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            waiting = hub.DownloadFileAsync(Repo, File1);
            await Task.Delay(400);
            waiting.IsCompleted.Should().BeFalse("the lock is held by the other download");
            // The other download finishes: its file appears under the final name, then it releases the lock.
            string target = hub.CachePath(Repo, File1);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, _weights);
        }

        string path = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        File.ReadAllBytes(path).Should().Equal(_weights);
        server.Requests.Should().BeEmpty("the file was downloaded by the lock's holder");
    }

    [Fact]
    public async Task Concurrent_downloads_of_one_file_fetch_it_once()
    {
        using var release = new ManualResetEventSlim();
        var serve = Hub(_weights, $"/{Repo}/resolve/main/{File1}");
        using var server = new LoopbackHttpServer(request =>
        {
            release.Wait(TimeSpan.FromSeconds(10)); // hold the first answer until both callers are in
            return serve(request);
        });
        using var first = new HubClient(Options(server));
        using var second = new HubClient(Options(server));

        Task<string> a = first.DownloadFileAsync(Repo, File1), b = second.DownloadFileAsync(Repo, File1);
        await Task.Delay(400);
        release.Set();
        string[] paths = await Task.WhenAll(a, b).WaitAsync(TimeSpan.FromSeconds(20));

        paths.Distinct().Should().ContainSingle();
        File.ReadAllBytes(paths[0]).Should().Equal(_weights);
        server.Requests.Should().ContainSingle(r => r.Method == "GET");
        Directory.GetFiles(Path.GetDirectoryName(paths[0])!).Should().Equal(paths[0]);
    }

    [Fact]
    public async Task Waiting_for_another_download_can_be_cancelled()
    {
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}"));
        using var hub = new HubClient(Options(server));
        string lockPath = hub.LockPath(Repo, File1);
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);

        using (new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var act = () => hub.DownloadFileAsync(Repo, File1, cancellationToken: cancel.Token);
            await act.Should().ThrowAsync<OperationCanceledException>();
        }
        server.Requests.Should().BeEmpty();

        // The cancelled wait left no lock behind: the next call downloads.
        File.ReadAllBytes(await hub.DownloadFileAsync(Repo, File1)).Should().Equal(_weights);
    }

    [Fact]
    public async Task A_partial_file_written_without_the_lock_is_refused_and_left_alone()
    {
        using var server = new LoopbackHttpServer(Hub(_weights, $"/{Repo}/resolve/main/{File1}"));
        using var hub = new HubClient(Options(server));
        string partial = hub.CachePath(Repo, File1) + ".incomplete";
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);

        using (new FileStream(partial, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
        {
            var act = () => hub.DownloadFileAsync(Repo, File1);
            (await act.Should().ThrowAsync<HubException>()).WithMessage("*another download*");
            File.Exists(partial).Should().BeTrue("the other download's file must not be deleted");
        }
        server.Requests.Should().BeEmpty();
    }

    [Fact]
    public void Urls_and_cache_paths_follow_the_hub_layout()
    {
        using var hub = new HubClient(new HubOptions { Endpoint = "https://hf-mirror.example/", CacheDirectory = _cache, Revision = "v1.0" });

        hub.FileUrl("laion/CLIP-ViT-B-32", "sub dir/model.safetensors").AbsoluteUri
            .Should().Be("https://hf-mirror.example/laion/CLIP-ViT-B-32/resolve/v1.0/sub%20dir/model.safetensors");
        hub.CachePath("laion/CLIP-ViT-B-32", "sub dir/model.safetensors")
            .Should().Be(Path.Combine(_cache, "models--laion--CLIP-ViT-B-32", "snapshots", "v1.0", "sub dir", "model.safetensors"));
    }

    [Theory]
    [InlineData("../etc", "config.json")]
    [InlineData("a/b/c", "config.json")]
    [InlineData("", "config.json")]
    [InlineData("owner/name", "../../secret")]
    [InlineData("owner/name", "/etc/passwd")]
    [InlineData("owner/name", "")]
    public void Malformed_repo_ids_and_file_names_are_refused(string repoId, string fileName)
    {
        using var hub = new HubClient(new HubOptions { CacheDirectory = _cache });
        var act = () => hub.CachePath(repoId, fileName);
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Environment_variables_override_the_defaults()
    {
        var environment = new Dictionary<string, string>
        {
            ["HF_ENDPOINT"] = "https://mirror.example/", ["EDSAM_CACHE"] = "/data/edsam", ["HF_HUB_OFFLINE"] = "1", ["HF_TOKEN"] = " hf_abc ",
        };

        HubOptions options = HubOptions.FromEnvironment(name => environment.GetValueOrDefault(name));

        options.Endpoint.Should().Be("https://mirror.example");
        options.CacheDirectory.Should().Be(Path.Combine("/data/edsam", "hub"));
        options.Offline.Should().BeTrue();
        options.Token.Should().Be("hf_abc");
    }

    [Fact]
    public void Defaults_are_the_public_hub_and_the_home_cache()
    {
        HubOptions options = HubOptions.FromEnvironment(_ => null);
        options.Endpoint.Should().Be("https://huggingface.co");
        options.CacheDirectory.Should().Be(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "edsam", "hub"));
        options.Revision.Should().Be("main");
        options.Offline.Should().BeFalse();
        options.Token.Should().BeNull();
        options.Timeout.Should().Be(TimeSpan.FromSeconds(60));
        options.MaxAttempts.Should().Be(3);
        options.Revalidate.Should().BeTrue("a moving branch must not serve a stale cached file silently");
    }

    [Fact]
    public void Invalid_options_list_every_problem()
    {
        var options = new HubOptions { Endpoint = "ftp://x", CacheDirectory = " ", Revision = "../main", Timeout = TimeSpan.Zero, MaxAttempts = 0 };
        var act = () => new HubClient(options);
        act.Should().Throw<ArgumentException>().WithMessage("*Endpoint*CacheDirectory*Revision*Timeout*MaxAttempts*");
    }

    [Theory]
    [InlineData("\"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\"", "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")]
    [InlineData("W/\"2C26B46B68FFC68FF99B453C1D30413413422D706483BFA0F98A5E886266E7AE\"", "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")]
    [InlineData("\"0123456789abcdef0123456789abcdef01234567\"", null)]
    [InlineData("\"d41d8cd98f00b204e9800998ecf8427e\"", null)]
    public void Only_64_hex_digit_etags_are_taken_as_sha256(string etag, string? expected)
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("ETag", etag);
        HubClient.AnnouncedSha256(response).Should().Be(expected);
    }

    private sealed class RecordingProgress : IProgress<long>
    {
        private readonly ConcurrentQueue<long> _values = new();
        public IReadOnlyList<long> Values => _values.ToArray();
        public void Report(long value) => _values.Enqueue(value);
    }
}
