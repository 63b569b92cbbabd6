using EdSam.Data;
using EdSam.Data.Augmentation;
using EdSam.Data.WebDataset;
using EdSam.Imaging;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace EdSam.Tests.Data;

public class ExampleLoaderTests
{
    private static Example[] Examples(int count, int size = 10) =>
        Enumerable.Range(0, count).Select(i => DataTestFiles.InMemory($"k{i}", i % 3, "d", size, size + i % 3, seed: i + 1)).ToArray();

    private static readonly IImageTransform Square8 = new Compose(new Resize(8), new CenterCrop(8));

    [Fact]
    public void TorchSharp_DataLoader_stacks_images_and_labels_and_keeps_captions_as_strings()
    {
        using var loader = ExampleLoader.Create(Examples(10), new ExampleLoaderOptions { BatchSize = 4, Transform = Square8 });
        loader.Count.Should().Be(3);
        var sizes = new List<int>();
        var keys = new List<string>();
        foreach (var batch in loader)
        {
            batch.Images.shape.Should().Equal(batch.Count, 3, 8, 8);
            batch.Images.dtype.Should().Be(ScalarType.Float32);
            batch.Labels.dtype.Should().Be(ScalarType.Int64);
            batch.Labels.data<long>().ToArray().Should().Equal(batch.Examples.Select(e => (long)e.Label!.Value));
            batch.Captions.Should().Equal(batch.Keys.Select(k => "caption of " + k));
            batch.Domains.Should().OnlyContain(d => d == "d");
            sizes.Add(batch.Count);
            keys.AddRange(batch.Keys);
        }
        sizes.Should().Equal(4, 4, 2);
        keys.Should().Equal(Enumerable.Range(0, 10).Select(i => $"k{i}"), "without Shuffle the list order is kept");

        using var dropping = ExampleLoader.Create(Examples(10), new ExampleLoaderOptions { BatchSize = 4, Transform = Square8, DropLast = true });
        dropping.Select(b => b.Count).ToList().Should().Equal(4, 4);
    }

    [Fact]
    public void Shuffle_draws_a_new_seeded_permutation_every_epoch_and_parallel_workers_change_nothing()
    {
        var options = new ExampleLoaderOptions { BatchSize = 3, Shuffle = true, Seed = 5, Transform = new Compose(new RandomResizedCrop(6), new ColorJitter()) };
        List<(string Key, float Sum)> Epoch(IEnumerable<ExampleBatch> loader) =>
            loader.SelectMany(b => b.Keys.Select((k, i) => (k, b.Images[i].sum().item<float>()))).ToList();

        using var one = ExampleLoader.Create(Examples(9), options);
        var first = Epoch(one);
        var second = Epoch(one);
        using var parallel = ExampleLoader.Create(Examples(9), options with { Workers = 2 });
        var parallelFirst = Epoch(parallel);

        first.Select(x => x.Key).Should().BeEquivalentTo(Enumerable.Range(0, 9).Select(i => $"k{i}"));
        second.Select(x => x.Key).Should().NotEqual(first.Select(x => x.Key), "each epoch is reshuffled");
        parallelFirst.Should().Equal(first, "order and augmentation depend on the seed only, not on thread timing");
    }

    [Fact]
    public void Missing_and_corrupt_images_fail_naming_the_file_or_are_skipped_and_counted()
    {
        using var folder = new TempFolder();
        DataTestFiles.WritePng(folder.File("good.png"));
        File.WriteAllBytes(folder.File("corrupt.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        Example Of(string name) => new(folder.File(name), ImageSource.FromFile(folder.File(name))) { Label = 0 };
        Example[] examples = [Of("good.png"), Of("missing.png"), Of("corrupt.png"), Of("good.png")];

        using (var failing = ExampleLoader.Create(examples[..2], new ExampleLoaderOptions { BatchSize = 4 }))
            failing.Invoking(l => l.ToList()).Should().ThrowExactly<FileNotFoundException>().WithMessage($"*{folder.File("missing.png")}*");
        using (var corrupt = ExampleLoader.Create([examples[2]], new ExampleLoaderOptions { BatchSize = 4 }))
            corrupt.Invoking(l => l.ToList()).Should().ThrowExactly<ImageDecodeException>().WithMessage($"*{folder.File("corrupt.png")}*");

        using var skipping = ExampleLoader.Create(examples, new ExampleLoaderOptions { BatchSize = 4, BadInputPolicy = BadInputPolicy.Skip });
        var counts = skipping.Select(b => b.Count).ToList();
        counts.Should().Equal(2);
        skipping.SkippedCount.Should().Be(2);
    }

    [Fact]
    public void Stream_loader_batches_a_WebDataset_reader_and_its_shuffle_buffer_is_seeded()
    {
        using var folder = new TempFolder();
        using (var writer = new WebDatasetWriter(folder.Path, new WebDatasetWriterOptions { MaxSamplesPerShard = 4 }))
            for (int i = 0; i < 10; i++)
            {
                using var image = DataTestFiles.QuantizedImage(i, 9, 11);
                writer.Write($"s{i:D2}", image, caption: $"c{i}", label: i);
            }
        var reader = new WebDatasetReader(folder.File("{000000..000002}.tar"));

        var plain = ExampleLoader.Stream(reader, new ExampleLoaderOptions { BatchSize = 4, Transform = Square8, Workers = 2 });
        var batches = plain.Select(b => (b.Images.shape, b.Captions.ToArray(), b.Labels.data<long>().ToArray())).ToList();
        batches.Select(b => b.shape[0]).Should().Equal(4, 4, 2);
        batches.Should().OnlyContain(b => b.shape.Skip(1).SequenceEqual(new long[] { 3, 8, 8 }));
        batches.SelectMany(b => b.Item2).Should().Equal(Enumerable.Range(0, 10).Select(i => $"c{i}"));
        batches.SelectMany(b => b.Item3).Should().Equal(Enumerable.Range(0, 10).Select(i => (long)i));

        var shuffled = new ExampleLoaderOptions { BatchSize = 4, Transform = Square8, Shuffle = true, ShuffleBufferSize = 5, Seed = 3 };
        var a = ExampleLoader.Stream(reader, shuffled).SelectMany(b => b.Keys).ToList();
        var b2 = ExampleLoader.Stream(reader, shuffled).SelectMany(b => b.Keys).ToList();
        a.Should().Equal(b2);
        a.Should().BeEquivalentTo(Enumerable.Range(0, 10).Select(i => $"s{i:D2}"));
        a.Should().NotEqual(Enumerable.Range(0, 10).Select(i => $"s{i:D2}"));
    }

    [Fact]
    public void Collate_explains_images_of_different_sizes_and_options_report_every_error()
    {
        using var a = zeros(3, 4, 4);
        using var b = zeros(3, 5, 4);
        var act = () => ExampleBatch.Collate([new LoadedExample(new Example("a", ImageSource.FromTensor(a, "a")), a), new LoadedExample(new Example("b", ImageSource.FromTensor(b, "b")), b)]);
        act.Should().Throw<ArgumentException>().WithMessage("*'a' is [3, 4, 4] but 'b' is [3, 5, 4]*resize*");

        new ExampleLoaderOptions { BatchSize = 0, Workers = 0, ShuffleBufferSize = 0 }.Invoking(o => o.Validate())
            .Should().Throw<ArgumentException>().WithMessage("*BatchSize*ShuffleBufferSize*Workers*");
    }

    [Fact]
    public void Decoded_per_example_images_are_released_once_the_batch_is_collated()
    {
        var recording = new RecordingTransform(Square8);
        using (var loader = ExampleLoader.Create(Examples(6), new ExampleLoaderOptions { BatchSize = 4, Transform = recording, Workers = 2 }))
            foreach (var batch in loader) batch.Images.shape[0].Should().BeGreaterThan(0);
        using var live = zeros(1);
        live.IsInvalid.Should().BeFalse("IsInvalid tells a disposed tensor from a live one");
        recording.Outputs.Should().HaveCount(6);
        recording.Outputs.Should().OnlyContain(t => t.IsInvalid, "each decoded image is disposed after collation: no leak per example");
    }

    [Fact]
    public void Skipped_images_are_logged_as_warnings_naming_the_file()
    {
        using var folder = new TempFolder();
        var logger = new ListLogger();
        var example = new Example("gone", ImageSource.FromFile(folder.File("gone.png")));
        var stream = ExampleLoader.Stream([example, example], new ExampleLoaderOptions { BadInputPolicy = BadInputPolicy.Skip, Logger = logger });
        stream.ToList().Should().BeEmpty();
        stream.SkippedCount.Should().Be(2);
        logger.Messages.Should().HaveCount(2).And.OnlyContain(m => m.Level == LogLevel.Warning && m.Text.Contains(folder.File("gone.png")));
    }

    [Fact]
    public void Per_domain_loader_stacks_n_examples_per_source_domain_each_step_repeatably()
    {
        var dataset = DataTestFiles.Dataset(("art", 5), ("cartoon", 4), ("photo", 6), ("sketch", 3));
        var split = dataset.LeaveOneDomainOut("photo", seed: 0);
        var options = new ExampleLoaderOptions { Transform = new Compose(new RandomResizedCrop(8), new RandomHorizontalFlip()), Seed = 2, Workers = 2 };
        List<(string[] Domains, float Sum)> Steps() =>
            ExampleLoader.PerDomain(PerDomainBatchSampler.ForTraining(split, 2, seed: 1), options).Take(3)
                .Select(b => { b.Images.shape.Should().Equal(6, 3, 8, 8); return (b.Domains.Select(d => d!).ToArray(), b.Images.sum().item<float>()); })
                .ToList();

        var first = Steps();
        first.Should().OnlyContain(s => s.Domains.SequenceEqual(new[] { "art", "art", "cartoon", "cartoon", "sketch", "sketch" }));
        Steps().Should().Equal(first, (x, y) => x.Sum == y.Sum, "the same seeds give the same pixels");
    }

    [Fact]
    public void Stream_loader_releases_each_batch_when_the_next_is_taken_and_reports_errors_unwrapped()
    {
        var loader = ExampleLoader.Stream(Examples(7), new ExampleLoaderOptions { BatchSize = 2, Transform = Square8 });
        ExampleBatch? previous = null;
        foreach (var batch in loader)
        {
            previous?.Images.IsInvalid.Should().BeTrue("the previous batch is disposed when the next is requested");
            batch.Images.IsInvalid.Should().BeFalse();
            previous = batch;
        }
        loader.Take(1).Should().ContainSingle("stopping early (with a batch decoding in the background) is clean");

        var missing = new Example("gone", ImageSource.FromFile("/nonexistent/gone.png"));
        var failing = ExampleLoader.Stream([missing, missing, missing], new ExampleLoaderOptions { BatchSize = 1 });
        failing.Invoking(l => l.ToList()).Should().ThrowExactly<FileNotFoundException>().WithMessage("*gone.png*");
    }

    private sealed class RecordingTransform(IImageTransform inner) : IImageTransform
    {
        public List<Tensor> Outputs { get; } = [];

        public Tensor Apply(Tensor image, Random random)
        {
            var output = inner.Apply(image, random);
            lock (Outputs) Outputs.Add(output);
            return output;
        }
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages) Messages.Add((logLevel, formatter(state, exception)));
        }
    }
}
