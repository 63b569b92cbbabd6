using System.Formats.Tar;
using System.Globalization;
using System.Text;

namespace EdSam.Data.WebDataset;

/// <summary>Streams samples from WebDataset tar shards — the format img2dataset writes for CC3M, CC12M and
/// LAION: each sample is a run of consecutive members sharing a key (<c>000123.jpg</c>, <c>000123.txt</c>,
/// <c>000123.json</c>, <c>000123.cls</c>). Shards are read in order straight from disk with
/// <see cref="TarReader"/>, never extracted; one sample is in memory at a time.</summary>
/// <remarks>
/// The key of a member is its path up to the first dot of its file name (as WebDataset splits it), the rest
/// is its extension: <c>.jpg</c>/<c>.png</c>/… is the image (kept encoded; decoded on load), <c>.txt</c> the
/// caption, <c>.cls</c> an integer label, <c>.json</c> the metadata (its <c>"domain"</c> string, if any,
/// becomes <see cref="Example.Domain"/>); other members are ignored. With
/// <see cref="WebDatasetOptions.ShardCount"/> &gt; 1 this reader takes only its share of the shards.
/// A truncated shard throws a <see cref="DataInputException"/> (or, under <see cref="BadInputPolicy.Skip"/>,
/// ends that shard with one skip counted); it never blocks.
/// </remarks>
public sealed class WebDatasetReader : IEnumerable<Example>
{
    private readonly WebDatasetOptions options;
    private readonly BadInputGuard guard;

    /// <summary>Creates a reader over shard files.</summary>
    /// <param name="shards">The shard paths, or brace patterns (<c>cc3m/{00000..00331}.tar</c>) expanded with
    /// <see cref="ShardList.Expand"/>.</param>
    /// <param name="options">Worker share, image extensions, policy; defaults when null.</param>
    /// <exception cref="ArgumentException">No shards, or invalid options.</exception>
    /// <exception cref="FormatException">A malformed brace pattern.</exception>
    public WebDatasetReader(IEnumerable<string> shards, WebDatasetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(shards);
        this.options = options ?? new WebDatasetOptions();
        this.options.Validate();
        AllShards = shards.SelectMany(ShardList.Expand).Select(Path.GetFullPath).ToArray();
        if (AllShards.Count == 0) throw new ArgumentException("No shards given.", nameof(shards));
        Shards = ShardList.ForWorker(AllShards, this.options.ShardIndex, this.options.ShardCount);
        guard = new BadInputGuard(this.options.BadInputPolicy, this.options.Logger);
    }

    /// <summary>Creates a reader over a shard pattern such as <c>/data/shards-{000000..000099}.tar</c>.</summary>
    /// <param name="pattern">A shard path or brace pattern.</param>
    /// <param name="options">Worker share, image extensions, policy; defaults when null.</param>
    public WebDatasetReader(string pattern, WebDatasetOptions? options = null) : this([pattern], options)
    {
    }

    /// <summary>Every shard of the data set (expanded, absolute).</summary>
    public IReadOnlyList<string> AllShards { get; }

    /// <summary>The shards this reader reads (its worker's share of <see cref="AllShards"/>).</summary>
    public IReadOnlyList<string> Shards { get; }

    /// <summary>Samples or shard tails skipped (under <see cref="BadInputPolicy.Skip"/>) so far.</summary>
    public long SkippedCount => guard.SkippedCount;

    /// <summary>Streams the samples of <see cref="Shards"/>, shard after shard.</summary>
    /// <exception cref="FileNotFoundException">A shard is missing (under <see cref="BadInputPolicy.Fail"/>).</exception>
    /// <exception cref="DataInputException">A truncated or corrupt shard, or a sample without an image
    /// (under <see cref="BadInputPolicy.Fail"/>); names the shard and member.</exception>
    public IEnumerator<Example> GetEnumerator()
    {
        foreach (string shard in Shards)
            foreach (var example in ReadShard(shard))
                yield return example;
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<Example> ReadShard(string shard)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(shard, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            guard.Report(new FileNotFoundException($"WebDataset shard not found: {shard}", shard, e));
            yield break;
        }

        using (stream)
        using (var tar = new TarReader(stream, leaveOpen: true))
        {
            Sample? current = null;
            while (true)
            {
                // yield cannot sit inside try/catch, so each step reports its own failure and says whether to go on.
                var (member, error) = NextMember(tar, shard, current?.LastMember);
                if (error is not null)
                {
                    guard.Report(error);
                    yield break;   // Skip: the rest of a damaged shard cannot be trusted; go to the next shard.
                }
                if (member is null) break;
                if (current is not null && current.Key != member.Value.Key)
                {
                    if (ToExample(current, shard) is { } done) yield return done;
                    current = null;
                }
                current ??= new Sample(member.Value.Key);
                current.Add(member.Value.Extension, member.Value.Data, member.Value.Name);
            }
            if (current is not null && ToExample(current, shard) is { } last) yield return last;
        }
    }

    /// <summary>The next regular-file member with its content, null at the end of the archive, or the error
    /// that stopped reading.</summary>
    private static ((string Key, string Extension, byte[] Data, string Name)? Member, Exception? Error) NextMember(TarReader tar, string shard, string? previous)
    {
        try
        {
            while (true)
            {
                TarEntry? entry = tar.GetNextEntry(copyData: false);
                if (entry is null) return (null, null);
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile)) continue;
                string name = entry.Name;
                byte[] data = ReadAll(entry, shard);
                var (key, extension) = SplitKey(name);
                if (extension.Length == 0) continue;   // a member without an extension carries no field
                return ((key, extension, data, name), null);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or FormatException or IOException or ArgumentException)
        {
            string after = previous is null ? "at its start" : $"after member '{previous}'";
            return (null, e as DataInputException
                ?? new DataInputException(shard, $"the tar shard is truncated or corrupt {after}: {e.Message}", member: previous, innerException: e));
        }
    }

    private static byte[] ReadAll(TarEntry entry, string shard)
    {
        long length = entry.Length;
        if (length > Array.MaxLength)
            throw new DataInputException(shard, $"member is {length:N0} bytes, too large to hold in memory.", member: entry.Name);
        var data = new byte[length];
        if (length == 0) return data;
        Stream content = entry.DataStream
            ?? throw new DataInputException(shard, "member has no data stream.", member: entry.Name);
        int read = 0;
        while (read < data.Length)
        {
            int n = content.Read(data, read, data.Length - read);
            if (n == 0)
                throw new DataInputException(shard,
                    $"the tar shard is truncated: member declares {length:N0} bytes but only {read:N0} remain.", member: entry.Name);
            read += n;
        }
        return data;
    }

    /// <summary>WebDataset's split: the key is the member path up to the first dot of its file name; the
    /// extension (lower-cased) is everything after it (<c>a/b.seg.png</c> → <c>a/b</c>, <c>seg.png</c>).</summary>
    internal static (string Key, string Extension) SplitKey(string memberName)
    {
        int slash = memberName.LastIndexOf('/');
        int dot = memberName.IndexOf('.', slash + 1);
        return dot < 0 ? (memberName, "") : (memberName[..dot], memberName[(dot + 1)..].ToLowerInvariant());
    }

    private Example? ToExample(Sample sample, string shard)
    {
        byte[]? image = null;
        string? imageMember = null;
        foreach (string extension in options.ImageExtensions)
            if (sample.Fields.TryGetValue(extension, out var field))
            {
                (image, imageMember) = field;
                break;
            }
        if (image is null)
        {
            guard.Report(new DataInputException(shard,
                $"sample '{sample.Key}' has no image member ({string.Join(", ", options.ImageExtensions)}); it has: {string.Join(", ", sample.Fields.Keys)}.",
                member: sample.LastMember));
            return null;
        }

        int? label = null;
        if (sample.Fields.TryGetValue("cls", out var cls))
        {
            string text = Encoding.UTF8.GetString(cls.Data).Trim();
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed))
            {
                guard.Report(new DataInputException(shard, $"'.cls' must hold an integer class index, found '{text}'.", member: cls.Name));
                return null;
            }
            label = parsed;
        }
        string? caption = sample.Fields.TryGetValue("txt", out var txt) ? Encoding.UTF8.GetString(txt.Data) : null;
        string? metadata = sample.Fields.TryGetValue("json", out var json) ? Encoding.UTF8.GetString(json.Data) : null;
        return new Example(sample.Key, ImageSource.FromBytes(image, $"{shard}:{imageMember}"))
        {
            Caption = caption,
            Label = label,
            Metadata = metadata,
            Domain = metadata is null ? null : DomainOf(metadata),
        };
    }

    /// <summary>The <c>"domain"</c> string of the metadata (as <see cref="WebDatasetWriter.Write(string, Example)"/>
    /// records it), or null; metadata that is not a JSON object is left alone (it is the user's).</summary>
    private static string? DomainOf(string metadata)
    {
        if (!metadata.Contains("\"domain\"", StringComparison.Ordinal)) return null;   // skip the parse for most crawls
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(metadata);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("domain", out var domain) && domain.ValueKind == System.Text.Json.JsonValueKind.String
                ? domain.GetString()
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The members of one sample gathered so far.</summary>
    private sealed class Sample(string key)
    {
        public string Key { get; } = key;

        public string? LastMember { get; private set; }

        public Dictionary<string, (byte[] Data, string Name)> Fields { get; } = new(StringComparer.Ordinal);

        public void Add(string extension, byte[] data, string name)
        {
            Fields[extension] = (data, name);
            LastMember = name;
        }
    }
}
