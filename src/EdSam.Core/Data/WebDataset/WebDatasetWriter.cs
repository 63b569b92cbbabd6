using System.Formats.Tar;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdSam.Imaging;
using static TorchSharp.torch;

namespace EdSam.Data.WebDataset;

/// <summary>Writes samples as WebDataset tar shards readable by <see cref="WebDatasetReader"/>, the
/// <c>webdataset</c> Python package and img2dataset tooling: per sample the members <c>key.png</c> (or the
/// given encoded <c>.jpg</c>), <c>key.txt</c> (caption), <c>key.json</c> (metadata) and <c>key.cls</c> (label).
/// A new shard starts every <see cref="WebDatasetWriterOptions.MaxSamplesPerShard"/> samples or before
/// <see cref="WebDatasetWriterOptions.MaxBytesPerShard"/> would be exceeded (estimated from the member sizes).</summary>
/// <remarks>Each shard is written under a temporary name (<c>000000.tar.tmp</c>) and renamed when complete, so
/// a crash never leaves a truncated shard under a final name. Dispose the writer to complete the last shard.
/// Not thread-safe.</remarks>
public sealed class WebDatasetWriter : IDisposable
{
    private readonly string directory;
    private readonly WebDatasetWriterOptions options;
    private readonly List<string> completed = [];
    private readonly HashSet<string> keysInShard = new(StringComparer.Ordinal);
    private FileStream? stream;
    private TarWriter? tar;
    private string? temporaryPath;
    private string? finalPath;
    private int shardNumber;
    private int samplesInShard;
    private long bytesInShard;
    private bool disposed;

    /// <summary>Creates a writer that puts shards in <paramref name="directory"/> (created when missing).</summary>
    /// <param name="directory">Output folder.</param>
    /// <param name="options">Shard size limits and naming; defaults when null.</param>
    public WebDatasetWriter(string directory, WebDatasetWriterOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        this.options = options ?? new WebDatasetWriterOptions();
        this.options.Validate();
        this.directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(this.directory);
    }

    /// <summary>Completed shards (final names), in order. The shard being written joins on roll-over or dispose.</summary>
    public IReadOnlyList<string> CompletedShards => completed;

    /// <summary>Samples written so far.</summary>
    public long SampleCount { get; private set; }

    /// <summary>Writes a sample whose image is a tensor, encoded as PNG (lossless).</summary>
    /// <param name="key">Sample key: no dot in its file-name part, no leading '/', unique within the shard.</param>
    /// <param name="image">float [3, H, W] (or [1|4, H, W]) in [0, 1]; not disposed.</param>
    /// <param name="caption">Written as <c>key.txt</c> (UTF-8) when not null.</param>
    /// <param name="label">Written as <c>key.cls</c> when not null.</param>
    /// <param name="metadataJson">Written as <c>key.json</c>; a JSON object made of key, caption and label when null.</param>
    /// <exception cref="ArgumentException">A bad key, invalid JSON, or an image tensor of the wrong shape.</exception>
    public void Write(string key, Tensor image, string? caption = null, int? label = null, string? metadataJson = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        WriteEncoded(key, ImageEncoder.EncodePng(image), "png", caption, label, metadataJson);
    }

    /// <summary>Writes an example from any source (a DomainBed folder, a caption table, another shard set): a
    /// JPEG or PNG file or encoded member is copied byte for byte; any other image is decoded and written as
    /// PNG. The metadata is the example's own JSON, or one made of key, caption, label, domain and the source key.</summary>
    /// <param name="key">Sample key: no dot in its file-name part, no leading '/', unique within the shard.</param>
    /// <param name="example">The example.</param>
    /// <exception cref="FileNotFoundException">The example's image file is missing.</exception>
    public void Write(string key, Example example)
    {
        ArgumentNullException.ThrowIfNull(example);
        string metadata = example.Metadata ?? JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["key"] = key, ["caption"] = example.Caption, ["label"] = example.Label, ["domain"] = example.Domain, ["source"] = example.Key,
        });
        string? origin = example.Image.FilePath ?? (example.Image.EncodedBytes is not null ? example.Image.Description : null);
        string extension = origin is null ? "" : Path.GetExtension(origin).TrimStart('.').ToLowerInvariant();
        if (extension is "jpg" or "jpeg" or "png")
        {
            byte[] encoded = example.Image.EncodedBytes ?? File.ReadAllBytes(example.Image.FilePath!);
            WriteEncoded(key, encoded, extension, example.Caption, example.Label, metadata);
            return;
        }
        using var image = example.Image.Load();
        Write(key, image, example.Caption, example.Label, metadata);
    }

    /// <summary>Writes a sample whose image is already encoded (a JPEG from a crawl, say), stored as is.</summary>
    /// <param name="key">Sample key: no dot in its file-name part, no leading '/', unique within the shard.</param>
    /// <param name="encodedImage">The encoded image file bytes.</param>
    /// <param name="extension">Its extension without dot: <c>jpg</c>, <c>png</c>, …</param>
    /// <param name="caption">Written as <c>key.txt</c> (UTF-8) when not null.</param>
    /// <param name="label">Written as <c>key.cls</c> when not null.</param>
    /// <param name="metadataJson">Written as <c>key.json</c>; a JSON object made of key, caption and label when null.</param>
    /// <exception cref="ArgumentException">A bad key or extension, or invalid JSON.</exception>
    public void WriteEncoded(string key, byte[] encodedImage, string extension, string? caption = null, int? label = null, string? metadataJson = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(encodedImage);
        if (string.IsNullOrEmpty(extension) || extension.Contains('.') || extension.Contains('/'))
            throw new ArgumentException($"Image extension must be a plain extension without dot such as \"jpg\"; got '{extension}'.", nameof(extension));
        if (metadataJson is not null)
        {
            try { using var _ = JsonDocument.Parse(metadataJson); }
            catch (JsonException e) { throw new ArgumentException($"Metadata of sample '{key}' is not valid JSON: {e.Message}", nameof(metadataJson), e); }
        }
        else
        {
            metadataJson = JsonSerializer.Serialize(new Dictionary<string, object?> { ["key"] = key, ["caption"] = caption, ["label"] = label });
        }

        var members = new List<(string Name, byte[] Data)> { ($"{key}.{extension.ToLowerInvariant()}", encodedImage) };
        if (caption is not null) members.Add(($"{key}.txt", Encoding.UTF8.GetBytes(caption)));
        members.Add(($"{key}.json", Encoding.UTF8.GetBytes(metadataJson)));
        if (label is not null) members.Add(($"{key}.cls", Encoding.UTF8.GetBytes(label.Value.ToString(CultureInfo.InvariantCulture))));
        // Tar stores each member as a 512-byte header plus data padded to 512 bytes (a lower bound with PAX headers).
        long size = members.Sum(m => 512 + (m.Data.Length + 511) / 512 * 512L);

        if (tar is not null && (samplesInShard >= options.MaxSamplesPerShard || bytesInShard + size > options.MaxBytesPerShard))
            CompleteShard();
        if (tar is null) StartShard();
        if (!keysInShard.Add(key)) throw new ArgumentException($"Key '{key}' was already written to shard {finalPath}.", nameof(key));

        foreach (var (name, data) in members)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data, writable: false) };
            tar!.WriteEntry(entry);
        }
        samplesInShard++;
        bytesInShard = stream!.Position;   // the real size, extended headers included
        SampleCount++;
    }

    private static void ValidateKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        string fileName = key[(key.LastIndexOf('/') + 1)..];
        if (fileName.Length == 0 || fileName.Contains('.') || key.StartsWith('/') || key.Contains('\\') || key.Contains("..") || key.Any(char.IsControl))
            throw new ArgumentException(
                $"Sample key '{key}' is invalid: WebDataset keys end at the first dot of the file name, so the key's last path segment must be non-empty and dot-free, with no leading '/', backslash or control characters.",
                nameof(key));
    }

    private void StartShard()
    {
        finalPath = Path.Combine(directory, string.Format(CultureInfo.InvariantCulture, options.ShardNameFormat, shardNumber));
        temporaryPath = finalPath + ".tmp";
        stream = new FileStream(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true);
        samplesInShard = 0;
        bytesInShard = 0;
        keysInShard.Clear();
    }

    private void CompleteShard()
    {
        tar!.Dispose();            // writes the end-of-archive blocks
        stream!.Flush(flushToDisk: true);
        stream.Dispose();
        File.Move(temporaryPath!, finalPath!, overwrite: true);
        completed.Add(finalPath!);
        tar = null;
        stream = null;
        shardNumber++;
    }

    /// <summary>Completes the shard being written (renaming it to its final name).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (tar is not null) CompleteShard();
    }
}
