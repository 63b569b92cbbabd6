using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace EdSam.IO;

/// <summary>
/// Reads and fully validates the header of a safetensors file: an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON mapping each tensor key to <c>{"dtype","shape","data_offsets":[begin,end]}</c> plus an optional
/// <c>__metadata__</c> string map, then the data buffer the offsets point into.
/// </summary>
/// <remarks>
/// Everything a reader later relies on is checked here, once: the header fits in the file, the JSON is strict
/// (no duplicate keys, no unknown fields, no trailing content), every dtype is known, every shape × dtype size equals
/// its byte range, and the byte ranges tile the data buffer exactly. After this, copying a tensor out of the file
/// needs no further bounds checks.
/// </remarks>
internal sealed class SafeTensorsHeader
{
    /// <summary>The largest header accepted (the limit of the reference implementation): 100 MB.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private static readonly string[] PickleExtensions = [".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle"];

    private SafeTensorsHeader(
        IReadOnlyList<SafeTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, long dataStart, long dataLength)
    {
        Tensors = tensors;
        Metadata = metadata;
        DataStart = dataStart;
        DataLength = dataLength;
    }

    /// <summary>The tensors in the order their bytes appear in the file.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Absolute file offset of the data buffer (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Length of the data buffer in bytes.</summary>
    public long DataLength { get; }

    /// <summary>Reads and validates the header of <paramref name="stream"/>, positioned anywhere; <paramref name="path"/> names it in errors.</summary>
    public static SafeTensorsHeader Read(Stream stream, string path)
    {
        long fileLength = stream.Length;
        stream.Position = 0;
        Span<byte> prefix = stackalloc byte[9];
        int prefixLength = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        prefix = prefix[..prefixLength];

        ulong headerLength = prefixLength >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(prefix) : 0;
        bool looksLikeSafeTensors = prefixLength == 9 && headerLength <= MaxHeaderLength
            && headerLength <= (ulong)(fileLength - 8) && prefix[8] == (byte)'{';
        if (!looksLikeSafeTensors && (HasPickleExtension(path) || HasPickleMagic(prefix)))
            throw PickleRefusal(path);

        if (prefixLength < 8)
            throw new SafeTensorsFormatException(path, "header length",
                $"the file is {fileLength} bytes, too short for the 8-byte header length every safetensors file starts with");
        if (headerLength > MaxHeaderLength)
            throw new SafeTensorsFormatException(path, "header length",
                $"{headerLength} bytes exceeds the {MaxHeaderLength}-byte (100 MB) limit; the file is corrupt or not safetensors");
        if (headerLength > (ulong)(fileLength - 8))
            throw new SafeTensorsFormatException(path, "header length",
                $"{headerLength} bytes goes beyond the end of the file ({fileLength} bytes, so at most {fileLength - 8} header bytes); the file is truncated or not safetensors");
        if (headerLength < 2)
            throw new SafeTensorsFormatException(path, "header length",
                $"{headerLength} bytes cannot hold a JSON object");

        var header = new byte[headerLength];
        stream.Position = 8;
        stream.ReadExactly(header);
        return Parse(header, path, dataStart: 8 + (long)headerLength, dataLength: fileLength - 8 - (long)headerLength);
    }

    /// <summary>Parses and validates header JSON whose data buffer has <paramref name="dataLength"/> bytes.</summary>
    internal static SafeTensorsHeader Parse(byte[] header, string path, long dataStart, long dataLength)
    {
        if (header.Length == 0 || header[0] != (byte)'{')
            throw new SafeTensorsFormatException(path, "header", "does not start with '{' (a safetensors header is a JSON object)");
        if (!Utf8.IsValid(header))
            throw new SafeTensorsFormatException(path, "header", $"is not valid UTF-8 (first bad byte at header offset {FirstInvalidUtf8Offset(header)})");

        var declared = new List<Declared>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(header, new JsonReaderOptions
            {
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
                MaxDepth = 8,
            });
            reader.Read();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            while (Next(ref reader) != JsonTokenType.EndObject)
            {
                string key = reader.GetString()!;
                if (!keys.Add(key))
                    throw new SafeTensorsFormatException(path, $"key '{key}'", "appears more than once in the header");
                Next(ref reader);
                if (key == "__metadata__") ReadMetadata(ref reader, path, metadata);
                else declared.Add(ReadEntry(ref reader, path, key));
            }
            if (reader.Read())
                throw new SafeTensorsFormatException(path, "header", $"has content after the JSON object at header offset {reader.TokenStartIndex}");
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(path, "header", $"is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString throws this for escaped lone surrogates ("\ud800").
            throw new SafeTensorsFormatException(path, "header", $"holds a string that is not valid text: {e.Message}", e);
        }

        var tensors = Validate(declared, path, dataStart, dataLength);
        return new SafeTensorsHeader(tensors, metadata, dataStart, dataLength);
    }

    private static List<SafeTensorInfo> Validate(List<Declared> declared, string path, long dataStart, long dataLength)
    {
        var tensors = new List<SafeTensorInfo>(declared.Count);
        foreach (var entry in declared)
        {
            string field = $"tensor '{entry.Key}'";
            if (!SafeTensorsDTypes.TryParse(entry.DType, out var scalarType, out int elementSize))
            {
                throw new SafeTensorsFormatException(path, field, SafeTensorsDTypes.IsKnownButUnsupported(entry.DType)
                    ? $"dtype '{entry.DType}' is valid safetensors but has no TorchSharp element type; convert it first (e.g. to F32) with the Python safetensors package. Supported: {SafeTensorsDTypes.SupportedNames}"
                    : $"unknown dtype '{entry.DType}' (supported: {SafeTensorsDTypes.SupportedNames})");
            }
            string shapeText = "[" + string.Join(",", entry.Shape) + "]";
            if (entry.End < entry.Begin)
                throw new SafeTensorsFormatException(path, field, $"data_offsets [{entry.Begin},{entry.End}] end before they begin");
            if (entry.End > (ulong)dataLength)
                throw new SafeTensorsFormatException(path, field,
                    $"data_offsets [{entry.Begin},{entry.End}] reach beyond the {dataLength}-byte data buffer; the file is truncated or its header is corrupt");

            // Multiply in 128 bits: a hostile shape must not wrap around to a plausible byte count.
            UInt128 elements = 1;
            bool hasZeroDimension = false;
            foreach (long dimension in entry.Shape)
            {
                if (dimension == 0) { hasZeroDimension = true; continue; }
                elements *= (ulong)dimension;
                if (elements > long.MaxValue)
                    throw new SafeTensorsFormatException(path, field, $"shape {shapeText} has more elements than a tensor can hold");
            }
            UInt128 needed = hasZeroDimension ? 0 : elements * (ulong)elementSize;
            ulong span = entry.End - entry.Begin;
            if (needed != span)
                throw new SafeTensorsFormatException(path, field,
                    $"shape {shapeText} × {entry.DType} needs {needed} bytes but data_offsets span {span}");

            tensors.Add(new SafeTensorInfo(entry.Key, entry.DType, scalarType, Array.AsReadOnly(entry.Shape),
                (long)entry.Begin, (long)entry.End, dataStart + (long)entry.Begin));
        }

        // The byte ranges, sorted, must tile the buffer: each starts where the previous ended, the last ends at its end.
        tensors.Sort((a, b) => a.DataBegin != b.DataBegin ? a.DataBegin.CompareTo(b.DataBegin) : a.DataEnd.CompareTo(b.DataEnd));
        long covered = 0;
        SafeTensorInfo? previous = null;
        foreach (var tensor in tensors)
        {
            if (tensor.DataBegin < covered)
                throw new SafeTensorsFormatException(path, $"tensor '{tensor.Key}'",
                    $"data_offsets [{tensor.DataBegin},{tensor.DataEnd}] overlap tensor '{previous!.Key}' [{previous.DataBegin},{previous.DataEnd}]");
            if (tensor.DataBegin > covered)
                throw new SafeTensorsFormatException(path, "data_offsets",
                    $"bytes [{covered},{tensor.DataBegin}) of the data buffer belong to no tensor (a gap before tensor '{tensor.Key}')");
            covered = tensor.DataEnd;
            previous = tensor;
        }
        if (covered != dataLength)
            throw new SafeTensorsFormatException(path, "data_offsets",
                $"bytes [{covered},{dataLength}) of the data buffer belong to no tensor (the offsets do not cover the buffer; extra bytes appended?)");
        return tensors;
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, string path, Dictionary<string, string> metadata)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new SafeTensorsFormatException(path, "__metadata__", $"must be a JSON object of strings, not {Describe(reader.TokenType)}");
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            if (metadata.ContainsKey(key))
                throw new SafeTensorsFormatException(path, "__metadata__", $"key '{key}' appears more than once");
            if (Next(ref reader) != JsonTokenType.String)
                throw new SafeTensorsFormatException(path, "__metadata__", $"value of '{key}' must be a string, not {Describe(reader.TokenType)}");
            metadata.Add(key, reader.GetString()!);
        }
    }

    private static Declared ReadEntry(ref Utf8JsonReader reader, string path, string key)
    {
        string field = $"tensor '{key}'";
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new SafeTensorsFormatException(path, field, $"must be an object with dtype, shape and data_offsets, not {Describe(reader.TokenType)}");
        string? dtype = null;
        long[]? shape = null;
        ulong[]? offsets = null;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            string name = reader.GetString()!;
            Next(ref reader);
            switch (name)
            {
                case "dtype" when dtype is null:
                    if (reader.TokenType != JsonTokenType.String)
                        throw new SafeTensorsFormatException(path, field, $"dtype must be a string, not {Describe(reader.TokenType)}");
                    dtype = reader.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = ReadIntegers(ref reader, path, field, "shape", long.MaxValue).Select(v => (long)v).ToArray();
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadIntegers(ref reader, path, field, "data_offsets", ulong.MaxValue).ToArray();
                    if (offsets.Length != 2)
                        throw new SafeTensorsFormatException(path, field, $"data_offsets must be [begin,end], not {offsets.Length} numbers");
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw new SafeTensorsFormatException(path, field, $"field '{name}' appears more than once");
                default:
                    throw new SafeTensorsFormatException(path, field, $"unexpected field '{name}' (a tensor entry has only dtype, shape and data_offsets)");
            }
        }
        if (dtype is null) throw new SafeTensorsFormatException(path, field, "has no 'dtype'");
        if (shape is null) throw new SafeTensorsFormatException(path, field, "has no 'shape'");
        if (offsets is null) throw new SafeTensorsFormatException(path, field, "has no 'data_offsets'");
        return new Declared(key, dtype, shape, offsets[0], offsets[1]);
    }

    private static List<ulong> ReadIntegers(ref Utf8JsonReader reader, string path, string field, string name, ulong max)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new SafeTensorsFormatException(path, field, $"{name} must be an array of non-negative integers, not {Describe(reader.TokenType)}");
        var values = new List<ulong>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out ulong value) || value > max)
                throw new SafeTensorsFormatException(path, field,
                    $"{name} must hold non-negative integers, found {Describe(reader.TokenType)} '{Encoding.UTF8.GetString(reader.ValueSpan)}'");
            values.Add(value);
        }
        return values;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        // Utf8JsonReader over a complete buffer only returns false at the very end, which a well-nested object never reaches.
        if (!reader.Read()) throw new JsonException("the JSON ends before the object is closed");
        return reader.TokenType;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static int FirstInvalidUtf8Offset(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed) != System.Buffers.OperationStatus.Done)
                return offset;
            offset += consumed;
        }
        return -1;
    }

    internal static bool HasPickleExtension(string path) =>
        PickleExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    // torch.save writes a zip archive (PK\x03\x04) since PyTorch 1.6; older files and raw pickles start with the
    // PROTO opcode 0x80 followed by the protocol number (2–5).
    internal static bool HasPickleMagic(ReadOnlySpan<byte> prefix) =>
        (prefix.Length >= 4 && prefix[0] == (byte)'P' && prefix[1] == (byte)'K' && prefix[2] == 3 && prefix[3] == 4)
        || (prefix.Length >= 2 && prefix[0] == 0x80 && prefix[1] is >= 2 and <= 5);

    internal static SafeTensorsFormatException PickleRefusal(string path)
    {
        string name = Path.GetFileName(path);
        string target = Path.ChangeExtension(name, ".safetensors");
        return new SafeTensorsFormatException(path, null,
            "this is a PyTorch pickle checkpoint (torch.save output, .pt/.pth/.bin/.ckpt), not safetensors. EdSam never "
            + "unpickles files, because loading a pickle can run arbitrary code. Convert it once in Python (PyTorch >= 1.13): "
            + $"python -c \"import torch, safetensors.torch; safetensors.torch.save_file(torch.load('{name}', map_location='cpu', weights_only=True), '{target}')\" "
            + "(if it holds a whole training checkpoint, save its 'state_dict' entry; tensors that share storage need .contiguous().clone()). "
            + "Hugging Face repositories usually ship model.safetensors already, and `edsam convert` maps Hugging Face <-> OpenAI CLIP key names.");
    }

    private sealed record Declared(string Key, string DType, long[] Shape, ulong Begin, ulong End);
}
