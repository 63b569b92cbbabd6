using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.IO;

/// <summary>
/// Moves the raw bytes of contiguous CPU tensors in and out. TorchSharp exposes a tensor's storage as a
/// <see cref="Span{T}"/>, which cannot exceed 2 GB, so larger tensors go through 1-D views of at most
/// <c>maxChunkBytes</c> each — the same storage, no extra copy.
/// </summary>
internal static unsafe class TensorBytes
{
    /// <summary>The default chunk: 1 GB, well inside a span's 2 GB limit.</summary>
    public const long DefaultMaxChunkBytes = 1L << 30;

    /// <summary>Copies <paramref name="tensor"/>'s size in bytes from <paramref name="source"/> into its storage.</summary>
    /// <param name="tensor">A contiguous CPU tensor.</param>
    /// <param name="source">The address of at least numel × element-size readable bytes (pinned or native memory).</param>
    /// <param name="maxChunkBytes">The largest span used at once.</param>
    public static void CopyFrom(Tensor tensor, IntPtr source, long maxChunkBytes = DefaultMaxChunkBytes) =>
        ForEachChunk(tensor, maxChunkBytes, (chunk, byteOffset) =>
            new ReadOnlySpan<byte>((byte*)source + byteOffset, chunk.Length).CopyTo(chunk));

    /// <summary>Writes <paramref name="tensor"/>'s bytes to <paramref name="stream"/>.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="tensor">A contiguous CPU tensor.</param>
    /// <param name="maxChunkBytes">The largest span used at once.</param>
    public static void WriteTo(Stream stream, Tensor tensor, long maxChunkBytes = DefaultMaxChunkBytes) =>
        ForEachChunk(tensor, maxChunkBytes, (chunk, _) => stream.Write(chunk));

    private delegate void ChunkAction(Span<byte> chunk, long byteOffset);

    private static void ForEachChunk(Tensor tensor, long maxChunkBytes, ChunkAction action)
    {
        long elements = tensor.numel();
        if (elements == 0) return;
        long elementSize = tensor.ElementSize;
        if (elements * elementSize <= maxChunkBytes)
        {
            action(tensor.bytes, 0);
            return;
        }
        long chunkElements = Math.Max(1, maxChunkBytes / elementSize);
        using var flat = tensor.view(-1);
        for (long start = 0; start < elements; start += chunkElements)
        {
            using var part = flat.narrow(0, start, Math.Min(chunkElements, elements - start));
            action(part.bytes, start * elementSize);
        }
    }
}
