using System.Runtime.InteropServices;
using EdSam.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests.IO;

/// <summary>The chunked path normally only runs for tensors over 1 GB; a tiny chunk size exercises it on small ones.</summary>
public sealed class TensorBytesTests
{
    [Theory]
    [InlineData(8)]   // two floats per chunk
    [InlineData(12)]  // three floats per chunk: the last chunk is partial
    [InlineData(1)]   // smaller than an element: one element per chunk
    [InlineData(1 << 20)] // one span, no chunking
    public void Chunked_writes_and_copies_preserve_every_byte(long maxChunkBytes)
    {
        using var scope = NewDisposeScope();
        var source = arange(10, dtype: ScalarType.Float32).reshape(2, 5);
        byte[] expected = source.bytes.ToArray();

        using var stream = new MemoryStream();
        TensorBytes.WriteTo(stream, source, maxChunkBytes);
        stream.ToArray().Should().Equal(expected);

        var target = empty(2, 5);
        var pinned = GCHandle.Alloc(expected, GCHandleType.Pinned);
        try
        {
            TensorBytes.CopyFrom(target, pinned.AddrOfPinnedObject(), maxChunkBytes);
        }
        finally
        {
            pinned.Free();
        }
        target.data<float>().ToArray().Should().Equal(Enumerable.Range(0, 10).Select(i => (float)i));
    }
}
