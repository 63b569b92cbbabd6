using System.Text;
using EdSam.IO;

namespace EdSam.Tests.IO;

/// <summary>One hand-built file per malformation: each must be a <see cref="SafeTensorsFormatException"/> naming the problem.</summary>
public sealed class SafeTensorsMalformedFileTests : IDisposable
{
    private const string ValidEntry = "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    private readonly TemporaryFolder _folder = new("edsam-malformed-");

    public void Dispose() => _folder.Dispose();

    private string Write(string headerJson, byte[] data, ulong? declaredHeaderLength = null, string name = "bad.safetensors") =>
        RawSafeTensorsFile.Write(_folder.File(name), headerJson, data, declaredHeaderLength);

    private static SafeTensorsFormatException LoadFails(string path)
    {
        var thrown = FluentActions.Invoking(() => SafeTensors.Load(path)).Should().Throw<SafeTensorsFormatException>().Which;
        thrown.FilePath.Should().Be(path);
        thrown.Message.Should().StartWith(path + ": ", "every message names the file first");
        // The header-only readers must agree with Load.
        FluentActions.Invoking(() => SafeTensors.ReadMetadata(path)).Should().Throw<SafeTensorsFormatException>();
        return thrown;
    }

    [Fact]
    public void The_well_formed_baseline_loads()
    {
        string path = Write("{" + ValidEntry + "}", RawSafeTensorsFile.F32(1.5f, -2f));
        var tensors = SafeTensors.Load(path);
        using var w = tensors["w"];
        w.data<float>().ToArray().Should().Equal(1.5f, -2f);
    }

    [Fact]
    public void A_file_shorter_than_the_length_prefix_is_rejected()
    {
        string path = _folder.File("short.safetensors");
        File.WriteAllBytes(path, [1, 0, 0]);
        LoadFails(path).Message.Should().Contain("3 bytes, too short for the 8-byte header length");
    }

    [Fact]
    public void A_header_length_beyond_the_file_is_rejected()
    {
        string header = "{" + ValidEntry + "}";
        string path = Write(header, RawSafeTensorsFile.F32(1, 2), declaredHeaderLength: (ulong)header.Length + 100);
        var e = LoadFails(path);
        e.Field.Should().Be("header length");
        e.Problem.Should().Contain("goes beyond the end of the file");
    }

    [Fact]
    public void A_header_length_over_100_MB_is_rejected_before_anything_is_allocated()
    {
        string path = Write("{" + ValidEntry + "}", RawSafeTensorsFile.F32(1, 2), declaredHeaderLength: 100_000_001);
        LoadFails(path).Problem.Should().Contain("100000001 bytes exceeds the 100000000-byte (100 MB) limit");
    }

    [Fact]
    public void A_header_length_of_u64_max_is_rejected()
    {
        string path = Write("{" + ValidEntry + "}", RawSafeTensorsFile.F32(1, 2), declaredHeaderLength: ulong.MaxValue);
        LoadFails(path).Field.Should().Be("header length");
    }

    [Fact]
    public void Bad_json_is_rejected()
    {
        string path = Write("{" + ValidEntry + ",\"x\":}", RawSafeTensorsFile.F32(1, 2));
        LoadFails(path).Problem.Should().StartWith("is not valid JSON");
    }

    [Fact]
    public void A_header_that_is_not_an_object_is_rejected()
    {
        string path = Write("[1,2,3]", []);
        LoadFails(path).Problem.Should().Contain("does not start with '{'");
    }

    [Fact]
    public void Content_after_the_json_object_is_rejected()
    {
        string path = Write("{" + ValidEntry + "} {}", RawSafeTensorsFile.F32(1, 2));
        LoadFails(path).Problem.Should().Contain("is not valid JSON");
    }

    [Fact]
    public void Invalid_utf8_in_the_header_is_rejected()
    {
        byte[] header = Encoding.UTF8.GetBytes("{\"w\xFF\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
        int marker = Array.IndexOf(header, (byte)0xC3); // 'ÿ' (U+00FF) encodes as C3 BF: make it a lone continuation byte
        header[marker] = 0xBF;
        string path = _folder.File("utf8.safetensors");
        File.WriteAllBytes(path, RawSafeTensorsFile.Bytes(header, RawSafeTensorsFile.F32(1, 2)));
        LoadFails(path).Problem.Should().Be($"is not valid UTF-8 (first bad byte at header offset {marker})");
    }

    [Fact]
    public void An_escaped_lone_surrogate_in_a_key_is_rejected()
    {
        string path = Write("""{"w\ud800":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", RawSafeTensorsFile.F32(1, 2));
        LoadFails(path).Field.Should().Be("header");
    }

    [Fact]
    public void A_duplicate_tensor_key_is_rejected()
    {
        string path = Write("{" + ValidEntry + "," + ValidEntry.Replace("[0,8]", "[8,16]") + "}", RawSafeTensorsFile.F32(1, 2, 3, 4));
        var e = LoadFails(path);
        e.Field.Should().Be("key 'w'");
        e.Problem.Should().Be("appears more than once in the header");
    }

    [Fact]
    public void A_duplicate_key_spelled_with_a_json_escape_is_still_a_duplicate()
    {
        string path = Write("{" + ValidEntry + "," + ValidEntry.Replace("\"w\"", "\"\\u0077\"").Replace("[0,8]", "[8,16]") + "}",
            RawSafeTensorsFile.F32(1, 2, 3, 4));
        LoadFails(path).Problem.Should().Be("appears more than once in the header");
    }

    [Fact]
    public void A_duplicate_metadata_key_is_rejected()
    {
        string path = Write("""{"__metadata__":{"a":"1","a":"2"},""" + ValidEntry + "}", RawSafeTensorsFile.F32(1, 2));
        var e = LoadFails(path);
        e.Field.Should().Be("__metadata__");
        e.Problem.Should().Be("key 'a' appears more than once");
    }

    [Fact]
    public void A_non_string_metadata_value_is_rejected()
    {
        string path = Write("""{"__metadata__":{"epoch":3},""" + ValidEntry + "}", RawSafeTensorsFile.F32(1, 2));
        LoadFails(path).Problem.Should().Be("value of 'epoch' must be a string, not a number");
    }

    [Fact]
    public void An_unknown_dtype_is_rejected_with_the_supported_list()
    {
        string path = Write("{" + ValidEntry.Replace("F32", "F17") + "}", RawSafeTensorsFile.F32(1, 2));
        var e = LoadFails(path);
        e.Field.Should().Be("tensor 'w'");
        e.Problem.Should().Be("unknown dtype 'F17' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
    }

    [Fact]
    public void A_format_dtype_torchsharp_lacks_is_named_as_such()
    {
        string path = Write("{" + ValidEntry.Replace("F32", "U32") + "}", RawSafeTensorsFile.F32(1, 2));
        LoadFails(path).Problem.Should().StartWith("dtype 'U32' is valid safetensors but has no TorchSharp element type");
    }

    [Fact]
    public void Offsets_beyond_the_data_buffer_are_rejected()
    {
        string path = Write("{" + ValidEntry.Replace("[0,8]", "[0,12]").Replace("[2]", "[3]") + "}", RawSafeTensorsFile.F32(1, 2));
        LoadFails(path).Problem.Should().Be("data_offsets [0,12] reach beyond the 8-byte data buffer; the file is truncated or its header is corrupt");
    }

    [Fact]
    public void Offsets_that_end_before_they_begin_are_rejected()
    {
        string path = Write("{" + ValidEntry.Replace("[0,8]", "[8,0]") + "}", RawSafeTensorsFile.F32(1, 2));
        LoadFails(path).Problem.Should().Be("data_offsets [8,0] end before they begin");
    }

    [Fact]
    public void Overlapping_offsets_are_rejected()
    {
        string header = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""";
        string path = Write(header, RawSafeTensorsFile.F32(1, 2, 3));
        var e = LoadFails(path);
        e.Field.Should().Be("tensor 'b'");
        e.Problem.Should().Be("data_offsets [4,12] overlap tensor 'a' [0,8]");
    }

    [Fact]
    public void A_gap_between_tensors_is_rejected()
    {
        string header = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""";
        string path = Write(header, RawSafeTensorsFile.F32(1, 2, 3));
        LoadFails(path).Problem.Should().Be("bytes [4,8) of the data buffer belong to no tensor (a gap before tensor 'b')");
    }

    [Fact]
    public void Bytes_after_the_last_tensor_are_rejected()
    {
        string path = Write("{" + ValidEntry + "}", RawSafeTensorsFile.F32(1, 2, 3));
        LoadFails(path).Problem.Should().StartWith("bytes [8,12) of the data buffer belong to no tensor");
    }

    [Fact]
    public void A_shape_that_disagrees_with_the_byte_range_is_rejected_with_both_numbers()
    {
        // The example from the issue: [768,512] F32 needs 1572864 bytes.
        string header = """{"visual.proj":{"dtype":"F32","shape":[768,512],"data_offsets":[0,1572860]}}""";
        string path = Write(header, new byte[1572860]);
        var e = LoadFails(path);
        e.Message.Should().Be($"{path}: tensor 'visual.proj': shape [768,512] × F32 needs 1572864 bytes but data_offsets span 1572860");
    }

    [Fact]
    public void A_shape_whose_byte_count_overflows_64_bits_is_rejected_not_wrapped()
    {
        // 2^62 × 2^2 elements × 4 bytes wraps to 0 in 64-bit arithmetic: it must not pass as an empty tensor.
        string header = """{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}""";
        string path = Write(header, []);
        LoadFails(path).Problem.Should().Contain("has more elements than a tensor can hold");
    }

    [Theory]
    [InlineData("[-1]", "shape must hold non-negative integers")]
    [InlineData("[1.5]", "shape must hold non-negative integers")]
    [InlineData("[\"2\"]", "shape must hold non-negative integers")]
    [InlineData("2", "shape must be an array of non-negative integers, not a number")]
    public void A_shape_that_is_not_a_list_of_non_negative_integers_is_rejected(string shape, string expected)
    {
        string path = Write("{" + ValidEntry.Replace("[2]", shape) + "}", RawSafeTensorsFile.F32(1, 2));
        LoadFails(path).Problem.Should().StartWith(expected);
    }

    [Fact]
    public void Data_offsets_that_are_not_a_pair_are_rejected()
    {
        string path = Write("{" + ValidEntry.Replace("[0,8]", "[0,4,8]") + "}", RawSafeTensorsFile.F32(1, 2));
        LoadFails(path).Problem.Should().Be("data_offsets must be [begin,end], not 3 numbers");
    }

    [Theory]
    [InlineData("dtype")]
    [InlineData("shape")]
    [InlineData("data_offsets")]
    public void A_missing_field_is_rejected(string field)
    {
        string entry = field switch
        {
            "dtype" => "\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}",
            "shape" => "\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}",
            _ => "\"w\":{\"dtype\":\"F32\",\"shape\":[2]}",
        };
        string path = Write("{" + entry + "}", RawSafeTensorsFile.F32(1, 2));
        LoadFails(path).Problem.Should().Be($"has no '{field}'");
    }

    [Fact]
    public void An_unknown_or_repeated_field_in_a_tensor_entry_is_rejected()
    {
        string unknown = Write("{" + ValidEntry.Replace("\"dtype\"", "\"offset\":0,\"dtype\"") + "}", RawSafeTensorsFile.F32(1, 2), name: "a.safetensors");
        LoadFails(unknown).Problem.Should().StartWith("unexpected field 'offset'");
        string repeated = Write("{" + ValidEntry.Replace("\"dtype\"", "\"dtype\":\"F32\",\"dtype\"") + "}", RawSafeTensorsFile.F32(1, 2), name: "b.safetensors");
        LoadFails(repeated).Problem.Should().Be("field 'dtype' appears more than once");
    }

    [Fact]
    public void A_tensor_entry_that_is_not_an_object_is_rejected()
    {
        string path = Write("""{"w":[0,8]}""", RawSafeTensorsFile.F32(1, 2));
        LoadFails(path).Problem.Should().StartWith("must be an object with dtype, shape and data_offsets, not an array");
    }

    [Fact]
    public void A_bool_byte_other_than_zero_or_one_is_rejected_when_read()
    {
        string path = Write("""{"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}""", [1, 0, 7]);
        var e = FluentActions.Invoking(() => SafeTensors.Load(path)).Should().Throw<SafeTensorsFormatException>().Which;
        e.Field.Should().Be("tensor 'mask'");
        e.Problem.Should().Be("BOOL element 2 is byte 7; a BOOL tensor holds only 0 and 1");
    }

    [Fact]
    public void An_empty_file_is_rejected()
    {
        string path = _folder.File("empty.safetensors");
        File.WriteAllBytes(path, []);
        LoadFails(path).Field.Should().Be("header length");
    }
}
