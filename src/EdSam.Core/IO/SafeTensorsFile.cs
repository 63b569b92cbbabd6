using System.IO.MemoryMappedFiles;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.IO;

/// <summary>
/// A safetensors file opened for lazy reading: the header is parsed and validated up front, the data stays in a
/// read-only memory-mapped view, and <see cref="Read"/> copies one tensor straight from that view into the storage of
/// a new tensor — one copy, and the file is never read twice, so a 1.7 GB ViT-L/14 checkpoint costs its size once.
/// </summary>
/// <remarks>
/// <para>Open with <see cref="Open"/>, dispose when done (tensors already read stay valid: they own their memory).</para>
/// <para><see cref="Read"/> may be called concurrently from several threads.</para>
/// <para>Do not truncate or rewrite the file while it is open: like any memory-mapped reader, the operating system may
/// then fault the process on access. <see cref="SafeTensors.Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>
/// never does this, because it replaces files by renaming a new one over them.</para>
/// <para>Byte order: safetensors is little-endian, as are all platforms .NET and TorchSharp run on; big-endian hosts are refused.</para>
/// </remarks>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly SafeTensorsHeader _header;
    private readonly Dictionary<string, SafeTensorInfo> _byKey;
    private readonly MemoryMappedFile? _mapping;
    private readonly MemoryMappedViewAccessor? _view;
    private bool _disposed;

    private SafeTensorsFile(string path, SafeTensorsHeader header, MemoryMappedFile? mapping, MemoryMappedViewAccessor? view)
    {
        Path = path;
        _header = header;
        _mapping = mapping;
        _view = view;
        _byKey = header.Tensors.ToDictionary(t => t.Key, StringComparer.Ordinal);
        Keys = header.Tensors.Select(t => t.Key).ToArray();
    }

    /// <summary>The path the file was opened from.</summary>
    public string Path { get; }

    /// <summary>The tensor keys, in the order their bytes appear in the file.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>The <c>__metadata__</c> string map of the header (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;

    /// <summary>What the header declares for each key: dtype, shape and byte range (all validated at <see cref="Open"/>).</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> TensorInfo => _byKey;

    /// <summary>The number of tensors in the file.</summary>
    public int Count => Keys.Count;

    /// <summary>Whether the file holds a tensor named <paramref name="key"/> (ordinal, case-sensitive).</summary>
    public bool ContainsKey(string key) => _byKey.ContainsKey(key);

    /// <summary>Opens <paramref name="path"/>, validates its whole header and maps its data read-only.</summary>
    /// <param name="path">A <c>.safetensors</c> file.</param>
    /// <returns>The open file; dispose it to release the mapping.</returns>
    /// <exception cref="SafeTensorsFormatException">
    /// The file is not valid safetensors (the message names the field or key and the problem), or it is a PyTorch pickle
    /// checkpoint, which is refused — never executed — with instructions for converting it.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="PlatformNotSupportedException">The host is big-endian.</exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data is little-endian; EdSam reads it on little-endian hosts only.");

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            var header = SafeTensorsHeader.Read(stream, path);
            if (header.DataLength > 0)
            {
                mapping = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0,
                    MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
                view = mapping.CreateViewAccessor(header.DataStart, header.DataLength, MemoryMappedFileAccess.Read);
            }
            else
            {
                stream.Dispose(); // only zero-byte tensors: nothing to map
            }
            return new SafeTensorsFile(path, header, mapping, view);
        }
        catch
        {
            view?.Dispose();
            mapping?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates a tensor holding <paramref name="key"/>, copied once from the mapped file into new CPU storage, then
    /// converted to <paramref name="dtype"/> and moved to <paramref name="device"/> when those differ.
    /// </summary>
    /// <param name="key">The tensor's key, e.g. <c>visual.conv1.weight</c>.</param>
    /// <param name="device">Where the tensor should live; CPU when null.</param>
    /// <param name="dtype">The element type wanted; the file's own dtype when null.</param>
    /// <returns>A new tensor of the declared shape, owned by the caller (and by the current dispose scope, if any).</returns>
    /// <exception cref="KeyNotFoundException">The file has no tensor named <paramref name="key"/>.</exception>
    /// <exception cref="SafeTensorsFormatException">A BOOL tensor holds a byte other than 0 or 1.</exception>
    /// <exception cref="ObjectDisposedException">The file has been disposed.</exception>
    public Tensor Read(string key, Device? device = null, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_byKey.TryGetValue(key, out var info))
            throw new KeyNotFoundException($"{Path}: no tensor named '{key}' (the file holds {Count} tensors)");

        var tensor = torch.empty(info.Shape.ToArray(), info.ScalarType, torch.CPU);
        try
        {
            if (info.ByteCount > 0) CopyFromView(tensor, info);
            bool convert = dtype is { } wanted && wanted != info.ScalarType;
            bool move = device is not null && device.type != DeviceType.CPU;
            if (!convert && !move) return tensor;
            return tensor.to(dtype ?? info.ScalarType, device ?? torch.CPU, disposeAfter: true);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Releases the memory mapping. Tensors already read are unaffected; a <see cref="Read"/> still running on another
    /// thread finishes first, because each read holds a reference on the mapped view.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view?.Dispose();
        _mapping?.Dispose();
    }

    private void CopyFromView(Tensor tensor, SafeTensorInfo info)
    {
        // AcquirePointer counts a reference on the view, so a concurrent Dispose cannot unmap it under the copy.
        var handle = _view!.SafeMemoryMappedViewHandle;
        byte* viewStart = null;
        handle.AcquirePointer(ref viewStart);
        try
        {
            byte* source = viewStart + _view.PointerOffset + info.DataBegin;
            if (info.ScalarType == ScalarType.Bool) CheckBooleans(source, info);
            TensorBytes.CopyFrom(tensor, (IntPtr)source);
        }
        finally
        {
            handle.ReleasePointer();
        }
    }

    // A torch bool must be 0 or 1; any other byte is corrupt data that would make comparisons undefined.
    private void CheckBooleans(byte* source, SafeTensorInfo info)
    {
        for (long i = 0; i < info.ByteCount; i++)
        {
            if (source[i] > 1)
                throw new SafeTensorsFormatException(Path, $"tensor '{info.Key}'",
                    $"BOOL element {i} is byte {source[i]}; a BOOL tensor holds only 0 and 1");
        }
    }
}
