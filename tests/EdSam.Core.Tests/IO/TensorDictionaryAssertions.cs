using static TorchSharp.torch;

namespace EdSam.Tests.IO;

internal static class TensorDictionaryAssertions
{
    /// <summary>Same keys, and per key the same dtype, shape and raw bytes (bit-exact, NaN payloads included).</summary>
    public static void ShouldBeBitwiseEqualTo(this IReadOnlyDictionary<string, Tensor> actual, IReadOnlyDictionary<string, Tensor> expected)
    {
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (key, tensor) in expected)
        {
            actual[key].dtype.Should().Be(tensor.dtype, key);
            actual[key].shape.Should().Equal(tensor.shape, key);
            BytesOf(actual[key]).Should().Equal(BytesOf(tensor), key);
        }
    }

    /// <summary>The tensor's bytes in row-major order (empty for an empty tensor).</summary>
    public static byte[] BytesOf(Tensor tensor)
    {
        if (tensor.numel() == 0) return [];
        using var contiguous = tensor.contiguous();
        return contiguous.bytes.ToArray();
    }
}
