using EdSam.Data.FashionMnist;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace EdSam.Tests.Data.FashionMnist;

public class IdxReaderTests
{
    [Fact]
    public void Reads_raw_labels()
    {
        using var folder = new TempFolder();
        string path = folder.Write("labels-idx1-ubyte", IdxFiles.Labels(3, 0, 9, 1));
        IdxReader.ReadLabels(path).Should().Equal(3, 0, 9, 1);
    }

    [Fact]
    public void Reads_raw_and_gzip_images_identically_with_row_major_pixels()
    {
        byte[] pixels = IdxFiles.Ramp(2 * 3 * 4);
        byte[] raw = IdxFiles.Images(2, 3, 4, pixels);
        using var folder = new TempFolder();
        // The gzip file deliberately lacks a .gz suffix: detection is by content.
        var fromRaw = IdxReader.ReadImages(folder.Write("images-idx3-ubyte", raw));
        var fromGzip = IdxReader.ReadImages(folder.Write("images-idx3-ubyte.bin", IdxFiles.Gzip(raw)));

        foreach (var images in new[] { fromRaw, fromGzip })
        {
            images.Count.Should().Be(2);
            images.Rows.Should().Be(3);
            images.Columns.Should().Be(4);
            images.Pixels.Should().Equal(pixels);
            images.Image(1).ToArray().Should().Equal(pixels.Skip(12));
        }
    }

    [Fact]
    public void Images_tensor_is_uint8_N_rows_columns_with_the_file_values()
    {
        byte[] pixels = IdxFiles.Ramp(2 * 3 * 4);
        using var folder = new TempFolder();
        string path = folder.Write("images.gz", IdxFiles.Gzip(IdxFiles.Images(2, 3, 4, pixels)));
        using var tensor = IdxReader.ReadImagesTensor(path);
        tensor.dtype.Should().Be(TorchSharp.torch.ScalarType.Byte);
        tensor.shape.Should().Equal(2, 3, 4);
        tensor[1, 2, 3].item<byte>().Should().Be(pixels[1 * 12 + 2 * 4 + 3]);
        using var labels = IdxReader.ReadLabelsTensor(folder.Write("labels", IdxFiles.Labels(4, 7)));
        labels.dtype.Should().Be(TorchSharp.torch.ScalarType.Int64);
        labels.data<long>().ToArray().Should().Equal(4L, 7L);
    }

    [Fact]
    public void Reads_gzip_from_a_stream_that_cannot_seek()
    {
        byte[] gz = IdxFiles.Gzip(IdxFiles.Labels(5, 6, 7));
        using var stream = new ForwardOnlyStream(gz);
        IdxReader.ReadLabels(stream, "pipe").Should().Equal(5, 6, 7);
    }

    [Fact]
    public void Bad_magic_names_the_file_and_both_magic_numbers()
    {
        using var folder = new TempFolder();
        string path = folder.Write("labels-as-images", IdxFiles.Labels(1, 2, 3));
        var act = () => IdxReader.ReadImages(path);
        act.Should().Throw<IdxFormatException>()
            .Where(e => e.FileName == path)
            .WithMessage($"{path}: bad magic number 0x00000801; expected 0x00000803*");
    }

    [Fact]
    public void Truncated_data_names_the_file_and_the_missing_bytes()
    {
        byte[] full = IdxFiles.Images(2, 3, 4, IdxFiles.Ramp(24));
        using var folder = new TempFolder();
        string path = folder.Write("short", full[..^5]);
        var act = () => IdxReader.ReadImages(path);
        act.Should().Throw<IdxFormatException>().WithMessage($"{path}: truncated*24 bytes of data, but only 19 follow.");
    }

    [Fact]
    public void Data_beyond_what_the_header_announces_is_reported()
    {
        byte[] full = IdxFiles.Images(2, 3, 4, IdxFiles.Ramp(25)); // 25 bytes follow a 2 × 3 × 4 header
        using var folder = new TempFolder();
        string path = folder.Write("long.gz", IdxFiles.Gzip(full));
        var act = () => IdxReader.ReadImages(path);
        act.Should().Throw<IdxFormatException>().WithMessage($"{path}: more data than the header announces (2 × 3 × 4 = 24 bytes)*");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(9)]
    public void Truncated_header_is_reported(int length)
    {
        byte[] full = IdxFiles.Images(2, 3, 4, IdxFiles.Ramp(24));
        using var folder = new TempFolder();
        string path = folder.Write("header", full[..length]);
        var act = () => IdxReader.ReadImages(path);
        act.Should().Throw<IdxFormatException>().Where(e => e.Message.StartsWith(path + ":") && e.Message.Contains("truncated"));
    }

    [Fact]
    public void Truncated_gzip_names_the_file()
    {
        byte[] gz = IdxFiles.Gzip(IdxFiles.Images(50, 28, 28, IdxFiles.Ramp(50 * 784, 13)));
        using var folder = new TempFolder();
        string path = folder.Write("cut.gz", gz[..(gz.Length / 2)]);
        var act = () => IdxReader.ReadImages(path);
        act.Should().Throw<IdxFormatException>().Where(e => e.FileName == path);
    }

    [Fact]
    public void Zero_sized_images_are_rejected()
    {
        using var folder = new TempFolder();
        string path = folder.Write("flat", IdxFiles.Images(2, 0, 4, []));
        var act = () => IdxReader.ReadImages(path);
        act.Should().Throw<IdxFormatException>().WithMessage("*0 × 4 pixels*");
    }

    [Fact]
    public void Missing_file_is_FileNotFound()
    {
        var act = () => IdxReader.ReadLabels("/nonexistent/labels-idx1-ubyte.gz");
        act.Should().Throw<FileNotFoundException>().WithMessage("*/nonexistent/labels-idx1-ubyte.gz*");
    }

    [Property(MaxTest = 50)]
    public Property Labels_round_trip_raw_and_gzip(byte[] labels, bool gzip)
    {
        byte[] raw = IdxFiles.Labels(labels);
        using var stream = new MemoryStream(gzip ? IdxFiles.Gzip(raw) : raw);
        return IdxReader.ReadLabels(stream, "memory").SequenceEqual(labels).ToProperty();
    }

    private sealed class ForwardOnlyStream(byte[] content) : Stream
    {
        private int position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, 3), content.Length - position); // small reads, like a pipe
            Array.Copy(content, position, buffer, offset, n);
            position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
