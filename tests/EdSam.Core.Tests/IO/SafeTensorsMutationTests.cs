using System.Buffers.Binary;
using System.Text.Json;
using EdSam.IO;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace EdSam.Tests.IO;

/// <summary>
/// Corrupts a small valid file in over a thousand ways. Each variant must either be rejected with a
/// <see cref="SafeTensorsFormatException"/> or — when the corruption happens to leave a valid file (a data byte, a
/// padding space) — load exactly what its own header declares, checked by an independent parse. Any other
/// exception, or a load that disagrees with the header, fails the test.
/// </summary>
public sealed class SafeTensorsMutationTests(ITestOutputHelper output) : IDisposable
{
    private const int Variants = 1_200;
    private readonly TemporaryFolder _folder = new("edsam-mutation-");

    // Written from the format specification, independently of the library's own table.
    private static readonly Dictionary<string, ScalarType> SpecDTypes = new()
    {
        ["F64"] = ScalarType.Float64, ["F32"] = ScalarType.Float32, ["F16"] = ScalarType.Float16, ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64, ["I32"] = ScalarType.Int32, ["I16"] = ScalarType.Int16, ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte, ["BOOL"] = ScalarType.Bool,
    };

    private static readonly byte[] JsonPunctuation = "{}[],:\"0123456789-.e \\tF"u8.ToArray();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Every_corrupted_variant_is_rejected_or_loads_exactly_what_its_header_declares()
    {
        byte[] original = ValidFile();
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var random = new Random(20261125);
        string path = _folder.File("variant.safetensors");
        int rejected = 0, loaded = 0, identical = 0;
        var otherFailures = new List<string>();

        var total = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < Variants; i++)
        {
            byte[] variant = Mutate(original, headerEnd, i % 9, random, out string kind);
            if (variant.AsSpan().SequenceEqual(original)) identical++;
            WriteInPlace(path, variant);
            try
            {
                using var scope = NewDisposeScope();
                var tensors = SafeTensors.Load(path);
                string? mismatch = DisagreementWithHeader(variant, tensors);
                if (mismatch is not null) otherFailures.Add($"variant {i} ({kind}) loaded but {mismatch}");
                loaded++;
            }
            catch (SafeTensorsFormatException e)
            {
                rejected++;
                if (!e.Message.StartsWith(path + ": ", StringComparison.Ordinal)) otherFailures.Add($"variant {i} ({kind}): message lacks the path: {e.Message}");
            }
            catch (Exception e)
            {
                otherFailures.Add($"variant {i} ({kind}) threw {e.GetType().Name}: {e.Message}");
            }
        }

        output.WriteLine($"{Variants} variants in {total.ElapsedMilliseconds} ms: {rejected} rejected, {loaded} loaded ({identical} identical to the original)");
        otherFailures.Should().BeEmpty();
        (rejected + loaded).Should().Be(Variants);
        rejected.Should().BeGreaterThan(Variants / 2, "most corruptions of the prefix and header must be caught");
    }

    // Overwrites without truncating to zero first: File.WriteAllBytes truncates, which makes ext4 flush the file on
    // every close (auto_da_alloc) and turned this test from milliseconds into seconds; creating and deleting a file
    // per variant was as slow.
    private static void WriteInPlace(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        stream.Write(bytes);
        stream.SetLength(bytes.Length);
    }

    private byte[] ValidFile()
    {
        string path = _folder.File("valid.safetensors");
        using var scope = NewDisposeScope();
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["f32"] = arange(6, dtype: ScalarType.Float32).reshape(2, 3),
            ["bf16"] = ones(3, dtype: ScalarType.BFloat16),
            ["i64"] = tensor(new long[] { -1, 7 }),
            ["u8"] = tensor(new byte[] { 1, 2, 255 }),
            ["mask"] = tensor(new[] { true, false, true }),
            ["scalar"] = tensor(0.5),
            ["empty"] = zeros(0, 2, dtype: ScalarType.Int32),
        }, new Dictionary<string, string> { ["format"] = "pt" });
        return File.ReadAllBytes(path);
    }

    private static byte[] Mutate(byte[] original, int headerEnd, int kind, Random random, out string description)
    {
        var bytes = (byte[])original.Clone();
        switch (kind)
        {
            case 0:
            {
                int at = random.Next(headerEnd);
                int bit = random.Next(8);
                bytes[at] ^= (byte)(1 << bit);
                description = $"bit {bit} of byte {at} flipped";
                return bytes;
            }
            case 1:
            {
                int at = random.Next(headerEnd);
                bytes[at] = (byte)random.Next(256);
                description = $"byte {at} set to {bytes[at]}";
                return bytes;
            }
            case 2:
            {
                int at = 8 + random.Next(headerEnd - 8);
                bytes[at] = JsonPunctuation[random.Next(JsonPunctuation.Length)];
                description = $"header byte {at} set to '{(char)bytes[at]}'";
                return bytes;
            }
            case 3:
            {
                int length = random.Next(original.Length);
                description = $"truncated to {length} bytes";
                return bytes[..length];
            }
            case 4:
            {
                var extra = new byte[1 + random.Next(16)];
                random.NextBytes(extra);
                description = $"{extra.Length} bytes appended";
                return [.. bytes, .. extra];
            }
            case 5:
            {
                int at = headerEnd + random.Next(original.Length - headerEnd);
                bytes[at] ^= (byte)(1 << random.Next(8));
                description = $"data byte {at} flipped";
                return bytes;
            }
            case 6:
            {
                int at = 8 + random.Next(headerEnd - 8);
                description = $"header byte {at} deleted";
                return [.. bytes[..at], .. bytes[(at + 1)..]];
            }
            case 7:
            {
                int at = 8 + random.Next(headerEnd - 8);
                byte inserted = JsonPunctuation[random.Next(JsonPunctuation.Length)];
                description = $"'{(char)inserted}' inserted at {at}";
                return [.. bytes[..at], inserted, .. bytes[at..]];
            }
            default:
            {
                long length = headerEnd - 8 + random.Next(-16, 17);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)length);
                description = $"header length set to {length}";
                return bytes;
            }
        }
    }

    /// <summary>Re-parses the variant's header with System.Text.Json and compares it with what was loaded; null when they agree.</summary>
    private static string? DisagreementWithHeader(byte[] file, Dictionary<string, Tensor> loaded)
    {
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        long dataStart = 8 + headerLength;
        using var header = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        int declared = 0;
        long declaredBytes = 0;
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            declared++;
            if (!loaded.TryGetValue(entry.Name, out var tensor)) return $"'{entry.Name}' is missing";
            var expectedType = SpecDTypes[entry.Value.GetProperty("dtype").GetString()!];
            long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (tensor.dtype != expectedType) return $"'{entry.Name}' is {tensor.dtype}, header says {expectedType}";
            if (!tensor.shape.SequenceEqual(shape)) return $"'{entry.Name}' has shape [{string.Join(",", tensor.shape)}]";
            byte[] expectedBytes = file[(int)(dataStart + offsets[0])..(int)(dataStart + offsets[1])];
            byte[] actualBytes = tensor.numel() == 0 ? [] : tensor.bytes.ToArray();
            if (!actualBytes.SequenceEqual(expectedBytes)) return $"'{entry.Name}' holds other bytes than the file";
            declaredBytes += offsets[1] - offsets[0];
        }
        if (declared != loaded.Count) return $"{loaded.Count} tensors were loaded but the header declares {declared}";
        if (declaredBytes != file.Length - dataStart) return "the declared tensors do not account for every data byte";
        return null;
    }
}
