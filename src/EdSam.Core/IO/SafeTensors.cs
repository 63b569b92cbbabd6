using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.IO;

/// <summary>
/// Reads and writes <see href="https://github.com/huggingface/safetensors">safetensors</see> files, the checkpoint
/// format of Hugging Face, OpenCLIP and EdSam: an 8-byte little-endian header length, a UTF-8 JSON header, then the
/// raw little-endian tensor bytes.
/// </summary>
/// <remarks>
/// Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL. Files are validated completely before a
/// single tensor is created; anything malformed or hostile is a <see cref="SafeTensorsFormatException"/> naming the
/// file, the field or key, and the problem. PyTorch pickle checkpoints (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>,
/// <c>.ckpt</c>, <c>.pkl</c>, or a file starting like <c>torch.save</c> output) are refused with a
/// <see cref="SafeTensorsFormatException"/> that explains how to convert them — they are never unpickled, since
/// that can run arbitrary code. A file with such an extension whose content is valid safetensors loads normally.
/// For lazy, per-tensor reading use <see cref="SafeTensorsFile"/>.
/// </remarks>
public static class SafeTensors
{
    /// <summary>Loads every tensor of a safetensors file.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <param name="device">Where the tensors should live; CPU when null.</param>
    /// <returns>The tensors by key (ordinal), with the file's dtypes and shapes. The caller owns (and disposes) them.</returns>
    /// <exception cref="SafeTensorsFormatException">The file is malformed, or is a pickle checkpoint (refused, see remarks).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null) => Load(path, device, dtype: null);

    /// <summary>Loads every tensor of a safetensors file, converting floating-point tensors to <paramref name="dtype"/>.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <param name="device">Where the tensors should live; CPU when null.</param>
    /// <param name="dtype">
    /// The element type for floating-point tensors (for example <see cref="ScalarType.BFloat16"/> to load an fp32
    /// checkpoint for bf16 inference); integer and BOOL tensors keep their dtype. Null keeps every dtype.
    /// </param>
    /// <returns>The tensors by key (ordinal). The caller owns (and disposes) them.</returns>
    /// <exception cref="SafeTensorsFormatException">The file is malformed, or is a pickle checkpoint.</exception>
    public static Dictionary<string, Tensor> Load(string path, Device? device, ScalarType? dtype)
    {
        using var file = SafeTensorsFile.Open(path);
        var tensors = new Dictionary<string, Tensor>(file.Count, StringComparer.Ordinal);
        try
        {
            foreach (string key in file.Keys)
            {
                var stored = file.TensorInfo[key].ScalarType;
                ScalarType? wanted = stored is ScalarType.Float64 or ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 ? dtype : null;
                tensors.Add(key, file.Read(key, device, wanted));
            }
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
        return tensors;
    }

    /// <summary>Reads only the <c>__metadata__</c> string map of a safetensors file (the header is validated in full; no tensor data is read).</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <returns>The metadata; empty when the file has none.</returns>
    /// <exception cref="SafeTensorsFormatException">The file is malformed, or is a pickle checkpoint.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => ReadInfo(path).Metadata;

    /// <summary>Reads the header of a safetensors file: each tensor's dtype, shape and byte range, and the metadata.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <returns>The tensors in file order and the metadata map.</returns>
    /// <exception cref="SafeTensorsFormatException">The file is malformed, or is a pickle checkpoint.</exception>
    public static (IReadOnlyList<SafeTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata) ReadInfo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var header = SafeTensorsHeader.Read(stream, path);
        return (header.Tensors, header.Metadata);
    }

    /// <summary>
    /// Writes tensors (and optional metadata) to a safetensors file atomically: the file is written under a temporary
    /// name in the same folder and renamed over <paramref name="path"/> only once complete, so a crash never leaves a
    /// partial file and readers of the old file are not disturbed.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">
    /// The tensors by key. Any device, any layout: non-contiguous or non-CPU tensors are copied to contiguous CPU memory
    /// for writing (the inputs are not modified). Dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.
    /// </param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c> (for example <c>format: pt</c>).</param>
    /// <exception cref="ArgumentException">
    /// A key is <c>__metadata__</c>, a tensor is null or of an unsupported dtype, or a metadata key or value is null.
    /// </exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);

        // Largest elements first, then by name: every tensor then starts at a multiple of its element size
        // (the header is padded to 8 bytes), and the output is the same whatever the dictionary's order.
        var entries = new List<(string Key, Tensor Tensor, string DType, long ByteCount)>(tensors.Count);
        foreach (var (key, tensor) in tensors)
        {
            if (key is null) throw new ArgumentException("A tensor key is null.", nameof(tensors));
            RequireValidText(key, $"Tensor key '{key}'", nameof(tensors));
            if (key == "__metadata__")
                throw new ArgumentException("'__metadata__' is reserved by the safetensors format for the metadata map; rename the tensor.", nameof(tensors));
            if (tensor is null) throw new ArgumentException($"Tensor '{key}' is null.", nameof(tensors));
            if (!SafeTensorsDTypes.TryGetName(tensor.dtype, out string dtypeName, out int elementSize))
                throw new ArgumentException(
                    $"Tensor '{key}' has dtype {tensor.dtype}, which safetensors (as EdSam writes it) cannot hold; supported: {SafeTensorsDTypes.SupportedNames}.",
                    nameof(tensors));
            entries.Add((key, tensor, dtypeName, tensor.numel() * elementSize));
        }
        entries.Sort((a, b) =>
        {
            int bySize = b.Tensor.ElementSize.CompareTo(a.Tensor.ElementSize);
            return bySize != 0 ? bySize : string.CompareOrdinal(a.Key, b.Key);
        });

        byte[] header = BuildHeader(entries, metadata);
        string fullPath = System.IO.Path.GetFullPath(path);
        string temporary = fullPath + $".{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var entry in entries) WriteData(stream, entry.Tensor);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static byte[] BuildHeader(
        List<(string Key, Tensor Tensor, string DType, long ByteCount)> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping writes non-ASCII keys as UTF-8 (like the Python writer); quotes and controls are still escaped.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    if (key is null || value is null)
                        throw new ArgumentException($"Metadata key '{key}' or its value is null; safetensors metadata is a map of strings.", nameof(metadata));
                    RequireValidText(key, $"Metadata key '{key}'", nameof(metadata));
                    RequireValidText(value, $"The metadata value of '{key}'", nameof(metadata));
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var entry in entries)
            {
                json.WriteStartObject(entry.Key);
                json.WriteString("dtype", entry.DType);
                json.WriteStartArray("shape");
                foreach (long dimension in entry.Tensor.shape) json.WriteNumberValue(dimension);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + entry.ByteCount);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += entry.ByteCount;
            }
            json.WriteEndObject();
        }

        // The format asks for the data buffer to start 8-byte aligned: pad the header with spaces (valid JSON whitespace).
        long unpadded = buffer.Length;
        long padded = (unpadded + 7) / 8 * 8;
        if (padded > SafeTensorsHeader.MaxHeaderLength)
            throw new ArgumentException($"The header would be {padded} bytes, beyond the {SafeTensorsHeader.MaxHeaderLength}-byte limit readers enforce; save fewer tensors per file.");
        for (long i = unpadded; i < padded; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteData(Stream stream, Tensor tensor)
    {
        if (tensor.numel() == 0) return;
        using var scope = torch.NewDisposeScope();
        // detach() makes a new handle, so everything below belongs to this scope and the caller's tensor is untouched.
        var cpu = tensor.detach().cpu().contiguous();
        TensorBytes.WriteTo(stream, cpu);
    }

    // The header is UTF-8: a string with an unpaired surrogate has no UTF-8 form and would not survive a round trip.
    private static void RequireValidText(string text, string what, string parameterName)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"{what} is not valid Unicode text (it holds an unpaired surrogate), so it cannot be written as UTF-8.", parameterName, e);
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
