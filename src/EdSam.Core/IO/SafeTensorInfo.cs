using static TorchSharp.torch;

namespace EdSam.IO;

/// <summary>What a safetensors header declares for one tensor (validated against the file before it is exposed).</summary>
/// <param name="Key">The tensor's name, e.g. <c>visual.conv1.weight</c>.</param>
/// <param name="DType">The dtype name as written in the file: <c>F32</c>, <c>F16</c>, <c>BF16</c>, <c>I64</c>, …</param>
/// <param name="ScalarType">The TorchSharp element type <see cref="DType"/> maps to.</param>
/// <param name="Shape">The dimensions; empty for a scalar.</param>
/// <param name="DataBegin">Start of the tensor's bytes, relative to the data buffer that follows the header.</param>
/// <param name="DataEnd">End (exclusive) of the tensor's bytes, relative to the data buffer.</param>
/// <param name="FileOffset">Absolute offset of the tensor's first byte in the file (8 + header length + <see cref="DataBegin"/>).</param>
public sealed record SafeTensorInfo(
    string Key,
    string DType,
    ScalarType ScalarType,
    IReadOnlyList<long> Shape,
    long DataBegin,
    long DataEnd,
    long FileOffset)
{
    /// <summary>The tensor's size in bytes (<see cref="DataEnd"/> − <see cref="DataBegin"/>).</summary>
    public long ByteCount => DataEnd - DataBegin;

    /// <summary>The number of elements (the product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, dimension) => product * dimension);

    /// <inheritdoc/>
    public override string ToString() => $"{Key}: {DType} [{string.Join(",", Shape)}] bytes [{DataBegin},{DataEnd})";
}
