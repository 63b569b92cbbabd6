using System.Buffers.Binary;
using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Data.FashionMnist;

/// <summary>Reads the IDX format of MNIST and Fashion-MNIST (<c>*-idx1-ubyte</c> labels, <c>*-idx3-ubyte</c>
/// images), raw or gzip-compressed — compression is detected from the content (the gzip magic bytes
/// <c>1f 8b</c>), not from the file name.</summary>
/// <remarks>The format (LeCun et al., <c>yann.lecun.com/exdb/mnist</c>): a big-endian 32-bit magic number
/// whose third byte is the element type (<c>0x08</c> = unsigned byte) and fourth byte the number of
/// dimensions, then one big-endian 32-bit size per dimension, then the elements, row-major. Labels are
/// <c>0x00000801</c> (one dimension: count), images <c>0x00000803</c> (count, rows, columns).</remarks>
public static class IdxReader
{
    /// <summary>Magic number of an IDX file of unsigned bytes with one dimension (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Magic number of an IDX file of unsigned bytes with three dimensions (images).</summary>
    public const int ImagesMagic = 0x00000803;

    // Far above any real IDX file (Fashion-MNIST train images are 47 MB); guards against a corrupt header
    // asking for an absurd allocation.
    private const long MaxElements = 1L << 31;

    /// <summary>Reads a labels file (<c>*-idx1-ubyte</c>, raw or <c>.gz</c>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>One byte per example (the class index).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IdxFormatException">Bad magic number, corrupt gzip stream, or fewer or more bytes than the
    /// header announces; the message names the file.</exception>
    public static byte[] ReadLabels(string path)
    {
        using var stream = OpenFile(path);
        return ReadLabels(stream, path);
    }

    /// <summary>Reads labels from a stream (raw or gzip).</summary>
    /// <param name="stream">The content; read to the end of the data, not disposed.</param>
    /// <param name="name">Name of the source used in error messages (a file or resource name).</param>
    /// <returns>One byte per example.</returns>
    /// <exception cref="IdxFormatException">See <see cref="ReadLabels(string)"/>.</exception>
    public static byte[] ReadLabels(Stream stream, string name)
    {
        return Read(stream, name, LabelsMagic).Data;
    }

    /// <summary>Reads an images file (<c>*-idx3-ubyte</c>, raw or <c>.gz</c>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The images.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IdxFormatException">Bad magic number, zero-sized image dimensions, corrupt gzip stream, or
    /// fewer or more bytes than the header announces; the message names the file.</exception>
    public static IdxImages ReadImages(string path)
    {
        using var stream = OpenFile(path);
        return ReadImages(stream, path);
    }

    /// <summary>Reads images from a stream (raw or gzip).</summary>
    /// <param name="stream">The content; not disposed.</param>
    /// <param name="name">Name of the source used in error messages.</param>
    /// <returns>The images.</returns>
    /// <exception cref="IdxFormatException">See <see cref="ReadImages(string)"/>.</exception>
    public static IdxImages ReadImages(Stream stream, string name)
    {
        var (dims, data) = Read(stream, name, ImagesMagic);
        if (dims[1] == 0 || dims[2] == 0)
            throw new IdxFormatException(name, $"images of {dims[1]} × {dims[2]} pixels; both sizes must be positive.");
        return new IdxImages(dims[0], dims[1], dims[2], data);
    }

    /// <summary>Reads an images file into a new uint8 tensor of shape [N, rows, columns] (the caller disposes it).</summary>
    /// <param name="path">The file (raw or <c>.gz</c>).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IdxFormatException">See <see cref="ReadImages(string)"/>.</exception>
    public static Tensor ReadImagesTensor(string path) => ReadImages(path).ToTensor();

    /// <summary>Reads a labels file into a new int64 tensor of shape [N] (the caller disposes it).</summary>
    /// <param name="path">The file (raw or <c>.gz</c>).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IdxFormatException">See <see cref="ReadLabels(string)"/>.</exception>
    public static Tensor ReadLabelsTensor(string path)
    {
        byte[] labels = ReadLabels(path);
        return torch.tensor(labels.Select(l => (long)l).ToArray(), ScalarType.Int64);
    }

    private static FileStream OpenFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        return File.OpenRead(path);
    }

    private static (int[] Dims, byte[] Data) Read(Stream stream, string name, int expectedMagic)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(name);
        try
        {
            using var content = OpenContent(stream);
            return ReadContent(content, name, expectedMagic);
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(name, "the gzip stream is corrupt: " + e.Message, e);
        }
    }

    // Peeks at the first two bytes: 1f 8b starts every gzip member, and no IDX magic starts with 0x1f. The
    // peeked bytes are replayed, so non-seekable streams (network, pipes) work too.
    private static Stream OpenContent(Stream stream)
    {
        var head = new byte[2];
        int read = stream.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        var replay = new ReplayStream(head.AsMemory(0, read), stream);
        bool gzip = read == 2 && head[0] == 0x1f && head[1] == 0x8b;
        return gzip ? new GZipStream(replay, CompressionMode.Decompress) : replay;
    }

    private static (int[] Dims, byte[] Data) ReadContent(Stream content, string name, int expectedMagic)
    {
        Span<byte> word = stackalloc byte[4];
        if (content.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
            throw new IdxFormatException(name, "the file ends before the 4-byte magic number (empty or truncated file).");
        int magic = BinaryPrimitives.ReadInt32BigEndian(word);
        if (magic != expectedMagic)
            throw new IdxFormatException(name,
                $"bad magic number 0x{magic:X8}; expected 0x{expectedMagic:X8} ({Describe(expectedMagic)}).");

        int rank = expectedMagic & 0xff;
        var dims = new int[rank];
        long elements = 1;
        for (int d = 0; d < rank; d++)
        {
            if (content.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
                throw new IdxFormatException(name, $"the header is truncated: it ends inside dimension {d + 1} of {rank}.");
            int size = BinaryPrimitives.ReadInt32BigEndian(word);
            if (size < 0) throw new IdxFormatException(name, $"dimension {d + 1} has negative size {size}.");
            dims[d] = size;
            elements *= size;
            if (elements > MaxElements)
                throw new IdxFormatException(name, $"the header announces more than {MaxElements} elements; the file is corrupt.");
        }

        var data = new byte[elements];
        int got = content.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (got < data.Length)
            throw new IdxFormatException(name,
                $"truncated: the header announces {string.Join(" × ", dims)} = {elements} bytes of data, but only {got} follow.");
        // Bytes beyond the announced data mean the header's sizes are wrong (or two files were joined).
        if (content.ReadAtLeast(word[..1], 1, throwOnEndOfStream: false) > 0)
            throw new IdxFormatException(name,
                $"more data than the header announces ({string.Join(" × ", dims)} = {elements} bytes); the sizes in the header are wrong.");
        return (dims, data);
    }

    private static string Describe(int magic) => magic switch
    {
        LabelsMagic => "IDX labels: unsigned bytes, 1 dimension",
        ImagesMagic => "IDX images: unsigned bytes, 3 dimensions",
        _ => "IDX",
    };

    // Replays the peeked bytes, then reads on from the caller's stream; disposing it leaves that stream open.
    private sealed class ReplayStream(ReadOnlyMemory<byte> head, Stream inner) : Stream
    {
        private ReadOnlyMemory<byte> pending = head;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (pending.IsEmpty) return inner.Read(buffer);
            int n = Math.Min(buffer.Length, pending.Length);
            pending.Span[..n].CopyTo(buffer);
            pending = pending[n..];
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
