using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using EdSam.Data;
using EdSam.Data.WebDataset;
using static TorchSharp.torch;

namespace EdSam.Tests.Data.WebDataset;

public class WebDatasetTests
{
    /// <summary>Runs <paramref name="action"/> on a worker thread and fails if it takes longer than 20 s: a
    /// truncated shard must never hang a reader.</summary>
    private static T WithinTimeout<T>(Func<T> action)
    {
        var task = Task.Run(action);
        if (!task.Wait(TimeSpan.FromSeconds(20))) throw new TimeoutException("The reader hung on a damaged shard.");
        return task.Result;
    }

    private static void WriteSamples(string folder, int count, WebDatasetWriterOptions? options = null, int size = 6)
    {
        using var writer = new WebDatasetWriter(folder, options);
        for (int i = 0; i < count; i++)
        {
            using var image = DataTestFiles.QuantizedImage(100 + i, size, size + 1);
            writer.Write($"sample{i:D4}", image, caption: $"caption {i}: «ünïcode», \"quoted\"", label: i % 4,
                metadataJson: i == 0 ? null : $"{{\"url\":\"http://x/{i}.jpg\",\"width\":{size + 1}}}");
        }
    }

    [Fact]
    public void Writer_and_reader_round_trip_images_captions_labels_and_json_across_rolled_shards()
    {
        using var folder = new TempFolder();
        using (var writer = new WebDatasetWriter(folder.Path, new WebDatasetWriterOptions { MaxSamplesPerShard = 3 }))
        {
            for (int i = 0; i < 7; i++)
            {
                using var image = DataTestFiles.QuantizedImage(100 + i);
                writer.Write($"sample{i:D4}", image, caption: $"caption {i}: «ünïcode»", label: i % 4,
                    metadataJson: i == 0 ? null : $"{{\"url\":\"http://x/{i}.jpg\"}}");
            }
            writer.SampleCount.Should().Be(7);
            writer.CompletedShards.Should().HaveCount(2, "the third shard is completed on dispose");
        }
        Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order().Should().Equal("000000.tar", "000001.tar", "000002.tar");

        var reader = new WebDatasetReader(folder.File("{000000..000002}.tar"));
        var examples = reader.ToList();

        examples.Select(e => e.Key).Should().Equal(Enumerable.Range(0, 7).Select(i => $"sample{i:D4}"));
        for (int i = 0; i < 7; i++)
        {
            var example = examples[i];
            example.Caption.Should().Be($"caption {i}: «ünïcode»");
            example.Label.Should().Be(i % 4);
            using var expected = DataTestFiles.QuantizedImage(100 + i);
            using var actual = example.Image.Load();
            actual.shape.Should().Equal(3, 6, 5);
            actual.allclose(expected, rtol: 0, atol: 1e-6).Should().BeTrue($"PNG is lossless (sample {i})");
            example.Image.Description.Should().Be(folder.File($"{i / 3:D6}.tar") + $":sample{i:D4}.png");
        }
        JsonDocument.Parse(examples[3].Metadata!).RootElement.GetProperty("url").GetString().Should().Be("http://x/3.jpg");
        var generated = JsonDocument.Parse(examples[0].Metadata!).RootElement;
        generated.GetProperty("key").GetString().Should().Be("sample0000");
        generated.GetProperty("label").GetInt32().Should().Be(0);
        reader.SkippedCount.Should().Be(0);
    }

    [Fact]
    public void Shards_roll_over_on_the_byte_limit_and_the_worker_share_reads_only_its_shards()
    {
        using var folder = new TempFolder();
        WriteSamples(folder.Path, 5, new WebDatasetWriterOptions { MaxBytesPerShard = 4000, ShardNameFormat = "part-{0:D3}.tar" });
        var shards = Directory.GetFiles(folder.Path).Order(StringComparer.Ordinal).ToArray();
        shards.Should().HaveCount(5, "each sample takes at least 4 × (512-byte header + 512-byte block) > 4000 bytes");
        Directory.GetFiles(folder.Path, "*.tmp").Should().BeEmpty("temporary shards are renamed when complete");

        var pattern = folder.File($"part-{{000..{shards.Length - 1:D3}}}.tar");
        var everyone = new WebDatasetReader(pattern).Select(e => e.Key).ToArray();
        everyone.Should().HaveCount(5);
        var worker0 = new WebDatasetReader(pattern, new WebDatasetOptions { ShardIndex = 0, ShardCount = 2 });
        var worker1 = new WebDatasetReader(pattern, new WebDatasetOptions { ShardIndex = 1, ShardCount = 2 });
        worker0.Shards.Should().OnlyContain(s => Array.IndexOf(shards, s) % 2 == 0);
        worker0.Select(e => e.Key).Concat(worker1.Select(e => e.Key)).Should().BeEquivalentTo(everyone);
    }

    [Fact]
    public void Members_are_grouped_by_key_up_to_the_first_dot_and_unknown_members_ignored()
    {
        WebDatasetReader.SplitKey("dir.v2/abc.seg.PNG").Should().Be(("dir.v2/abc", "seg.png"));
        WebDatasetReader.SplitKey("abc.txt").Should().Be(("abc", "txt"));
        WebDatasetReader.SplitKey("README").Should().Be(("README", ""));

        using var folder = new TempFolder();
        string shard = folder.File("hand.tar");
        using (var stream = File.Create(shard))
        using (var tar = new TarWriter(stream, TarEntryFormat.Ustar))
        {
            void Add(string name, byte[] data) => tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            using var image = DataTestFiles.QuantizedImage(1);
            byte[] png = EdSam.Imaging.ImageEncoder.EncodePng(image);
            tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, "d/"));
            Add("d/a.txt", Encoding.UTF8.GetBytes("first"));
            Add("d/a.jpg", png);        // any listed extension is decoded by content
            Add("d/a.extra.bin", [1, 2]);
            Add("d/b.png", png);
            Add("d/b.cls", Encoding.UTF8.GetBytes(" 7\n"));
        }

        var examples = new WebDatasetReader(shard).ToList();
        examples.Select(e => (e.Key, e.Caption, e.Label)).Should().Equal(("d/a", "first", (int?)null), ("d/b", (string?)null, 7));
    }

    [Fact]
    public void A_sample_without_an_image_fails_naming_shard_and_member_or_is_skipped()
    {
        using var folder = new TempFolder();
        string shard = folder.File("s.tar");
        using (var stream = File.Create(shard))
        using (var tar = new TarWriter(stream, TarEntryFormat.Ustar))
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "k1.txt") { DataStream = new MemoryStream("orphan"u8.ToArray()) });
        }
        var fail = () => new WebDatasetReader(shard).ToList();
        fail.Should().Throw<DataInputException>().Where(e => e.Path == shard && e.Member == "k1.txt" && e.Message.Contains("no image"));

        var skip = new WebDatasetReader(shard, new WebDatasetOptions { BadInputPolicy = BadInputPolicy.Skip });
        skip.ToList().Should().BeEmpty();
        skip.SkippedCount.Should().Be(1);
    }

    [Fact]
    public void A_truncated_shard_throws_under_Fail_and_ends_only_that_shard_under_Skip()
    {
        using var folder = new TempFolder();
        WriteSamples(folder.File("a"), 4, size: 24);
        WriteSamples(folder.File("b"), 3, size: 24);
        string damaged = folder.File("a", "000000.tar");
        byte[] bytes = File.ReadAllBytes(damaged);
        File.WriteAllBytes(damaged, bytes[..(bytes.Length * 6 / 10)]);
        string[] shards = [damaged, folder.File("b", "000000.tar")];

        var fail = () => WithinTimeout(() => new WebDatasetReader(shards).ToList());
        fail.Should().Throw<DataInputException>().Where(e => e.Path == damaged && e.Message.Contains("truncated"));

        var reader = new WebDatasetReader(shards, new WebDatasetOptions { BadInputPolicy = BadInputPolicy.Skip });
        var examples = WithinTimeout(() => reader.ToList());
        int fromDamaged = examples.Count - 3;
        fromDamaged.Should().BeInRange(1, 3, "complete samples before the cut are kept, the cut one is not");
        examples.TakeLast(3).Select(e => e.Key).Should().Equal("sample0000", "sample0001", "sample0002");
        reader.SkippedCount.Should().Be(1);
    }

    [Fact]
    public void Truncation_inside_a_header_or_a_missing_shard_is_reported_too()
    {
        using var folder = new TempFolder();
        WriteSamples(folder.Path, 2);
        string shard = folder.File("000000.tar");
        byte[] bytes = File.ReadAllBytes(shard);
        File.WriteAllBytes(shard, bytes[..700]);   // one 512-byte header block, then part of the next block
        var fail = () => WithinTimeout(() => new WebDatasetReader(shard).ToList());
        fail.Should().Throw<DataInputException>().Where(e => e.Path == shard);

        var missing = () => new WebDatasetReader(folder.File("nope.tar")).ToList();
        missing.Should().Throw<FileNotFoundException>().WithMessage("*nope.tar*");
        var skip = new WebDatasetReader(folder.File("nope.tar"), new WebDatasetOptions { BadInputPolicy = BadInputPolicy.Skip });
        skip.ToList().Should().BeEmpty();
        skip.SkippedCount.Should().Be(1);
    }

    [Fact]
    public void Writer_rejects_keys_with_dots_duplicate_keys_and_invalid_json()
    {
        using var folder = new TempFolder();
        using var writer = new WebDatasetWriter(folder.Path);
        using var image = DataTestFiles.QuantizedImage(0);
        writer.Invoking(w => w.Write("a.b", image)).Should().Throw<ArgumentException>().WithMessage("*first dot*");
        writer.Invoking(w => w.Write("x", image, metadataJson: "{not json")).Should().Throw<ArgumentException>().WithMessage("*not valid JSON*");
        writer.Write("ok", image);
        writer.Invoking(w => w.Write("ok", image)).Should().Throw<ArgumentException>().WithMessage("*already written*");
        new WebDatasetWriterOptions { MaxSamplesPerShard = 0, MaxBytesPerShard = 0, ShardNameFormat = "x.tar" }
            .Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage("*MaxSamplesPerShard*MaxBytesPerShard*placeholder*");
    }

    [Fact]
    public void Encoded_jpeg_bytes_are_stored_as_is_under_the_jpg_extension()
    {
        using var folder = new TempFolder();
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        using (var writer = new WebDatasetWriter(folder.Path)) writer.WriteEncoded("k", jpeg, "jpg", caption: "c");
        using var stream = File.OpenRead(folder.File("000000.tar"));
        using var tar = new TarReader(stream);
        var names = new List<string>();
        byte[]? stored = null;
        while (tar.GetNextEntry() is { } entry)
        {
            names.Add(entry.Name);
            if (entry.Name == "k.jpg") { using var m = new MemoryStream(); entry.DataStream!.CopyTo(m); stored = m.ToArray(); }
        }
        names.Should().Equal("k.jpg", "k.txt", "k.json");
        stored.Should().Equal(jpeg);
    }

    [Fact]
    public void A_DomainBed_folder_converts_to_shards_keeping_file_bytes_labels_and_domains()
    {
        using var folder = new TempFolder();
        DataTestFiles.WritePng(folder.File("root", "art", "dog", "1.png"), seed: 1);
        DataTestFiles.WritePng(folder.File("root", "photo", "dog", "2.png"), seed: 2);
        DataTestFiles.WritePng(folder.File("root", "photo", "cat", "3.png"), seed: 3);
        DataTestFiles.WritePng(folder.File("root", "art", "cat", "4.png"), seed: 4);
        var dataset = EdSam.Data.DomainBed.DomainBedFolder.Open(folder.File("root"));
        var examples = dataset.Domains.SelectMany(dataset.GetExamples).ToArray();

        using (var writer = new WebDatasetWriter(folder.File("shards")))
        {
            for (int i = 0; i < examples.Length; i++) writer.Write($"{i:D5}", examples[i]);
            writer.Write("synthetic", DataTestFiles.InMemory("made", 1, "sketch", seed: 9));
        }

        var read = new WebDatasetReader(folder.File("shards", "000000.tar")).ToList();
        read.Select(e => (e.Key, e.Label, e.Domain)).Should().Equal(
            ("00000", (int?)0, "art"), ("00001", (int?)1, "art"), ("00002", (int?)0, "photo"), ("00003", (int?)1, "photo"), ("synthetic", (int?)1, "sketch"));
        using var member = new FileStream(folder.File("shards", "000000.tar"), FileMode.Open);
        using var tar = new TarReader(member);
        var first = tar.GetNextEntry()!;
        first.Name.Should().Be("00000.png");
        using var bytes = new MemoryStream();
        first.DataStream!.CopyTo(bytes);
        bytes.ToArray().Should().Equal(File.ReadAllBytes(examples[0].Key), "PNG files are copied, not re-encoded");
        using var synthetic = read[4].Image.Load();
        using var expected = DataTestFiles.QuantizedImage(9);
        synthetic.allclose(expected, rtol: 0, atol: 1e-6).Should().BeTrue();
    }
}
