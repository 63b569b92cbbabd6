using System.Globalization;
using System.Text;

namespace EdSam.Data.Captions;

/// <summary>A caption table: CSV or TSV rows <c>path,caption[,label][,domain]</c> (or any column order under a
/// header naming them), the format of CC3M/CC12M-style image-text lists and of img2dataset's input. Enumerating
/// streams the file: one row in memory at a time, so a table of millions of rows is fine.</summary>
/// <remarks>
/// Quoting follows RFC 4180 (fields in double quotes may hold delimiters, doubled quotes and line breaks).
/// Relative image paths are resolved against <see cref="CaptionTableOptions.BaseDirectory"/> (the table's
/// folder by default). Every error names the file and the line.
/// </remarks>
public sealed class CaptionTable : IEnumerable<Example>
{
    private static readonly string[] PathHeaders = ["path", "filepath", "file_path", "filename", "file", "image", "image_path", "img", "img_path"];
    private static readonly string[] CaptionHeaders = ["caption", "captions", "text", "title", "description", "sentence"];
    private static readonly string[] LabelHeaders = ["label", "class", "cls", "class_index", "target", "category"];
    private static readonly string[] DomainHeaders = ["domain", "env", "environment"];

    private readonly CaptionTableOptions options;
    private readonly BadInputGuard guard;
    private readonly char delimiter;
    private readonly string baseDirectory;

    private CaptionTable(string path, CaptionTableOptions options)
    {
        Path = path;
        this.options = options;
        guard = new BadInputGuard(options.BadInputPolicy, options.Logger);
        delimiter = options.Delimiter ?? DelimiterFor(path);
        baseDirectory = System.IO.Path.GetFullPath(options.BaseDirectory ?? System.IO.Path.GetDirectoryName(path)!);
    }

    /// <summary>The table file (absolute).</summary>
    public string Path { get; }

    /// <summary>Rows skipped (under <see cref="BadInputPolicy.Skip"/>) so far, over all enumerations.</summary>
    public long SkippedCount => guard.SkippedCount;

    /// <summary>Opens a table for streaming; nothing is read until enumeration.</summary>
    /// <param name="path">The <c>.csv</c>/<c>.tsv</c> file.</param>
    /// <param name="options">Delimiter, header, base folder, class names, policy; defaults when null.</param>
    /// <exception cref="FileNotFoundException">The table does not exist.</exception>
    public static CaptionTable Open(string path, CaptionTableOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new CaptionTableOptions();
        options.Validate();
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Caption table not found: {path}", path);
        return new CaptionTable(path, options);
    }

    /// <summary>The delimiter a file's extension implies: tab for <c>.tsv</c> and <c>.tab</c>, comma otherwise.</summary>
    /// <param name="path">The table's path.</param>
    public static char DelimiterFor(string path) =>
        System.IO.Path.GetExtension(path).ToLowerInvariant() is ".tsv" or ".tab" ? '\t' : ',';

    /// <summary>Streams the rows as examples (images not decoded). Labels are indices, or names mapped through
    /// <see cref="CaptionTableOptions.ClassNames"/>.</summary>
    /// <exception cref="DataInputException">A bad row under <see cref="BadInputPolicy.Fail"/>; names file and line.</exception>
    public IEnumerator<Example> GetEnumerator()
    {
        var classIndex = options.ClassNames is { } names ? ClassIndex(names) : null;
        foreach (var row in ReadRows())
        {
            int? label = null;
            if (row.Label is { } text)
            {
                label = ParseLabel(text, classIndex, row.Line);
                if (label is null) continue;
            }
            yield return row.ToExample(label);
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Reads the whole table into a domain data set: domains from the domain column (sorted ordinally;
    /// the table's file name when there is no domain column), classes from the label column — indices as they
    /// are, names sorted ordinally (display names with <c>_</c> → space) unless
    /// <see cref="CaptionTableOptions.ClassNames"/> fixes them.</summary>
    /// <param name="name">Name of the data set; the table's file name when null.</param>
    /// <exception cref="DataInputException">The table has no label column, or a bad row under <see cref="BadInputPolicy.Fail"/>.</exception>
    public IDomainDataset ToDomainDataset(string? name = null)
    {
        var rows = ReadRows().ToList();
        string fallbackDomain = System.IO.Path.GetFileNameWithoutExtension(Path);
        if (rows.Count > 0 && rows.Any(r => r.Label is null))
        {
            var unlabelled = rows.First(r => r.Label is null);
            throw new DataInputException(Path, "a domain data set needs a label on every row; this row has none.", unlabelled.Line);
        }

        IReadOnlyList<string> classNames;
        Dictionary<string, int>? classIndex;
        bool allIntegers = rows.All(r => int.TryParse(r.Label, NumberStyles.Integer, CultureInfo.InvariantCulture, out _));
        if (options.ClassNames is { } given)
        {
            classNames = given;
            classIndex = ClassIndex(given);
        }
        else if (allIntegers)
        {
            int max = rows.Count == 0 ? -1 : rows.Max(r => int.Parse(r.Label!, CultureInfo.InvariantCulture));
            classNames = Enumerable.Range(0, max + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
            classIndex = null;
        }
        else
        {
            string[] folders = rows.Select(r => r.Label!.Trim()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            classNames = folders.Select(f => f.Replace('_', ' ')).ToArray();
            classIndex = ClassIndex(folders);
        }

        var byDomain = new SortedDictionary<string, List<Example>>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            int? label = ParseLabel(row.Label!, classIndex, row.Line);
            if (label is null) continue;
            string domain = row.Domain is { Length: > 0 } d ? d : fallbackDomain;
            if (!byDomain.TryGetValue(domain, out var list)) byDomain[domain] = list = [];
            list.Add(row.ToExample(label) with { Domain = domain });
        }
        if (byDomain.Count == 0) throw new DataInputException(Path, "the table has no usable rows.");
        return new DomainDataset(name ?? fallbackDomain, classNames,
            byDomain.Select(kv => KeyValuePair.Create(kv.Key, (IReadOnlyList<Example>)kv.Value)));
    }

    private static Dictionary<string, int> ClassIndex(IReadOnlyList<string> names)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
        {
            index.TryAdd(names[i], i);
            index.TryAdd(names[i].Replace('_', ' '), i);
            index.TryAdd(names[i].Replace(' ', '_'), i);
        }
        return index;
    }

    /// <summary>A label as an index; null (after reporting) when it cannot be mapped.</summary>
    private int? ParseLabel(string text, Dictionary<string, int>? classIndex, long line)
    {
        string trimmed = text.Trim();
        if (classIndex is not null)
        {
            if (classIndex.TryGetValue(trimmed, out int mapped)) return mapped;
            if (int.TryParse(trimmed, NumberStyles.Integer, CultureInfo.InvariantCulture, out int asIndex) && asIndex >= 0 && asIndex < options.ClassNames!.Count)
                return asIndex;
            guard.Report(new DataInputException(Path, $"label '{trimmed}' is not one of the class names.", line));
            return null;
        }
        if (int.TryParse(trimmed, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index) && index >= 0) return index;
        guard.Report(new DataInputException(Path,
            $"label '{trimmed}' is not a non-negative class index; give CaptionTableOptions.ClassNames to map names, or use ToDomainDataset().", line));
        return null;
    }

    /// <summary>The rows with their columns located and image paths resolved; bad rows reported.</summary>
    private IEnumerable<Row> ReadRows()
    {
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var text = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var reader = new CsvRecordReader(text, delimiter, Path);
        Columns? columns = null;
        while (true)
        {
            List<string> fields;
            long line;
            try
            {
                if (!reader.TryRead(out fields, out line)) break;
            }
            catch (DataInputException error) when (reader.CanSkipBadRecord)
            {
                guard.Report(error);   // throws under BadInputPolicy.Fail
                reader.SkipRestOfLine();
                continue;
            }
            if (fields.Count == 1 && fields[0].Length == 0) continue;   // blank line
            if (columns is null)
            {
                RejectUrlTable(fields, line);
                var header = TryHeader(fields);
                if (options.HasHeader == true && header is null)
                    throw new DataInputException(Path, $"the header does not name a path column ({string.Join("/", PathHeaders)}) and a caption column ({string.Join("/", CaptionHeaders)}).", line);
                if (options.HasHeader != false && header is not null)
                {
                    columns = header;
                    continue;
                }
                columns = Columns.Positional;
            }

            Row? row = ParseRow(fields, columns, line);
            if (row is not null) yield return row;
        }
    }

    private Row? ParseRow(List<string> fields, Columns columns, long line)
    {
        int needed = columns.MinimumCount;
        if (fields.Count < needed || (columns.Exact is { } exact && fields.Count > exact))
        {
            string expected = columns.Exact is { } n && n != needed ? $"{needed} to {n}" : columns.Exact is { } m ? $"{m}" : $"at least {needed}";
            guard.Report(new DataInputException(Path,
                $"expected {expected} fields ({columns.Describe()}) separated by '{(delimiter == '\t' ? "\\t" : delimiter.ToString())}', found {fields.Count}.", line));
            return null;
        }
        string relative = fields[columns.Path].Trim();
        if (relative.Length == 0)
        {
            guard.Report(new DataInputException(Path, "the image path is empty.", line));
            return null;
        }
        string image = System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, relative));
        if (options.CheckFilesExist && !File.Exists(image))
        {
            guard.Report(new DataInputException(Path, $"image file not found: {image}", line, innerException: new FileNotFoundException(null, image)));
            return null;
        }
        string? label = columns.Label is { } l && l < fields.Count && fields[l].Trim().Length > 0 ? fields[l] : null;
        string? domain = columns.Domain is { } d && d < fields.Count && fields[d].Trim().Length > 0 ? fields[d].Trim() : null;
        return new Row(line, image, fields[columns.Caption], label, domain);
    }

    /// <summary>An img2dataset input table (<c>url,caption</c>) names images that are not on disk yet; say so
    /// rather than report "file not found: url".</summary>
    private void RejectUrlTable(List<string> fields, long line)
    {
        var names = fields.Select(f => f.Trim().ToLowerInvariant()).ToArray();
        if (names.Contains("url") && !names.Any(PathHeaders.Contains) && names.Any(CaptionHeaders.Contains))
            throw new DataInputException(Path,
                "this table lists image URLs, not files. Download them first (e.g. img2dataset --output_format webdataset) and read the shards with WebDatasetReader.", line);
    }

    private static Columns? TryHeader(List<string> fields)
    {
        var names = fields.Select(f => f.Trim().ToLowerInvariant()).ToArray();
        int Find(string[] candidates) => Array.FindIndex(names, n => candidates.Contains(n));
        int path = Find(PathHeaders), caption = Find(CaptionHeaders);
        if (path < 0 || caption < 0) return null;
        int label = Find(LabelHeaders), domain = Find(DomainHeaders);
        return new Columns(path, caption, label < 0 ? null : label, domain < 0 ? null : domain, null,
            new[] { path, caption, label, domain }.Max() + 1);
    }

    private sealed record Row(long Line, string ImagePath, string Caption, string? Label, string? Domain)
    {
        public Example ToExample(int? label) =>
            new(ImagePath, ImageSource.FromFile(ImagePath)) { Caption = Caption, Label = label, Domain = Domain };
    }

    /// <summary>Where each column is; <see cref="Exact"/> is the maximum field count (null = any).</summary>
    private sealed record Columns(int Path, int Caption, int? Label, int? Domain, int? Exact, int MinimumCount)
    {
        /// <summary>No header: path, caption, optional label, optional domain.</summary>
        public static readonly Columns Positional = new(0, 1, 2, 3, 4, 2);

        public string Describe() => this == Positional ? "path, caption[, label][, domain]" : "the header's columns";
    }
}
