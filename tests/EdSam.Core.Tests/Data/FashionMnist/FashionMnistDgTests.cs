using EdSam.Data;
using EdSam.Data.FashionMnist;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests.Data.FashionMnist;

public class FashionMnistDgTests
{
    private static readonly string[] AllDomainNames = ["photo", "negative", "sketch", "blurred-noisy", "tinted-texture", "rotated"];

    // "sketch/test-01234" -> "test-01234": the source picture, whatever domain renders it.
    private static string Picture(Example example) => example.Key[(example.Key.IndexOf('/') + 1)..];

    [Fact]
    public void Embedded_split_is_the_10000_image_test_set_with_1000_of_each_label()
    {
        var pictures = EmbeddedPictures.Value;
        pictures.Count.Should().Be(10_000);
        pictures.Images.Rows.Should().Be(28);
        pictures.Images.Columns.Should().Be(28);
        pictures.Labels.GroupBy(l => l).Select(g => (g.Key, g.Count())).OrderBy(g => g.Key)
            .Should().Equal(Enumerable.Range(0, 10).Select(c => ((byte)c, 1000)));
        pictures.Ids.Should().Equal(Enumerable.Range(0, 10_000).Select(i => (long)i));
    }

    [Fact]
    public void Implements_the_domain_dataset_interface_with_six_domains_and_the_real_classes()
    {
        IDomainDataset data = EmbeddedPictures.DefaultDataset;
        data.Name.Should().Be("Fashion-MNIST-DG");
        data.Domains.Should().Equal(AllDomainNames);
        data.ClassNames.Should().Equal(FashionMnistClasses.Names);
        foreach (string domain in data.Domains)
            data.GetExamples(domain).Should().OnlyContain(e => e.Domain == domain && e.Label >= 0 && e.Label < 10 && e.Key.StartsWith(domain + "/"));
        var act = () => data.GetExamples("cartoon");
        act.Should().Throw<ArgumentException>().WithMessage("Unknown domain 'cartoon'*photo, negative, sketch*");
    }

    [Fact]
    public void By_default_each_picture_is_in_exactly_one_domain_and_every_domain_is_class_balanced()
    {
        var data = EmbeddedPictures.DefaultDataset;
        var all = data.Domains.SelectMany(data.GetExamples).ToArray();
        all.Should().HaveCount(10_000);
        all.Select(Picture).Distinct().Should().HaveCount(10_000);
        foreach (string domain in data.Domains)
        {
            var examples = data.GetExamples(domain);
            examples.Count.Should().BeInRange(1666, 1668, "10 classes × 1,000 pictures dealt to 6 domains");
            examples.GroupBy(e => e.Label).Should().HaveCount(10).And.OnlyContain(g => g.Count() == 166 || g.Count() == 167);
        }
    }

    [Fact]
    public void Leave_one_domain_out_never_shows_a_test_picture_or_domain_in_training()
    {
        var data = EmbeddedPictures.DefaultDataset;
        foreach (string held in new[] { "sketch", "photo" })
        {
            DomainSplit split = data.LeaveOneDomainOut(held, seed: 3);
            split.Test.Should().HaveCount(data.GetExamples(held).Count).And.OnlyContain(e => e.Domain == held);
            split.Train.Concat(split.Validation).Should().OnlyContain(e => e.Domain != held);
            var testPictures = split.Test.Select(Picture).ToHashSet();
            split.Train.Concat(split.Validation).Select(Picture).Should().NotIntersectWith(testPictures);
            split.Train.Select(e => e.Key).Should().NotIntersectWith(split.Validation.Select(e => e.Key));
            split.SourceDomains.Should().Equal(AllDomainNames.Where(d => d != held));
        }
    }

    [Fact]
    public void Max_per_domain_keeps_a_class_balanced_prefix()
    {
        var data = FashionMnistDg.Load(new FashionMnistDgOptions { Source = FashionMnistSource.Embedded, MaxPerDomain = 50 });
        foreach (string domain in data.Domains)
        {
            var examples = data.GetExamples(domain);
            examples.Should().HaveCount(50);
            examples.GroupBy(e => e.Label).Should().HaveCount(10).And.OnlyContain(g => g.Count() == 5);
            examples.Select(e => e.Key).Should().Equal(EmbeddedPictures.DefaultDataset.GetExamples(domain).Take(50).Select(e => e.Key));
        }
    }

    [Fact]
    public void Shared_mode_renders_every_picture_in_every_domain()
    {
        var data = FashionMnistDg.Load(new FashionMnistDgOptions
        {
            Source = FashionMnistSource.Embedded,
            DisjointDomains = false,
            Domains = [FashionMnistDomain.Photo, FashionMnistDomain.Sketch],
        });
        data.Domains.Should().Equal("photo", "sketch");
        data.GetExamples("photo").Should().HaveCount(10_000);
        data.GetExamples("photo").Select(Picture).Should().Equal(data.GetExamples("sketch").Select(Picture));
    }

    [Fact]
    public void Examples_carry_captions_naming_their_class_and_domain()
    {
        var data = EmbeddedPictures.DefaultDataset;
        foreach (var domain in data.DomainValues)
            foreach (var example in data.GetExamples(domain.Name()).Take(100))
            {
                example.Caption.Should().Contain(FashionMnistClasses.Names[example.Label!.Value]).And.Contain(domain.CaptionNoun());
                example.Caption.Should().Be(FashionMnistCaptions.Caption(domain, example.Label.Value,
                    FashionMnistCaptions.TemplateFor(0, long.Parse(Picture(example)["test-".Length..]))));
            }
    }

    [Fact]
    public void Loading_an_example_renders_it_like_the_batched_path_and_like_the_renderer()
    {
        var data = EmbeddedPictures.DefaultDataset;
        var examples = data.Domains.Select(d => data.GetExamples(d)[3]).ToArray();
        using var scope = torch.NewDisposeScope();
        var batch = data.Render(examples);
        batch.shape.Should().Equal(6, 3, 32, 32);
        for (int i = 0; i < examples.Length; i++)
        {
            var single = examples[i].Image.Load();
            single.shape.Should().Equal(3, 32, 32);
            single.allclose(batch[i], rtol: 0, atol: 1e-6).Should().BeTrue(examples[i].Key);
            int picture = int.Parse(Picture(examples[i])["test-".Length..]);
            var direct = new FashionMnistRenderer(32, 0).Render(data.DomainValues[i], EmbeddedPictures.Value.Images, [picture], [picture]);
            direct[0].allclose(single, rtol: 0, atol: 0).Should().BeTrue();
        }
        examples[0].Image.Description.Should().Be($"Fashion-MNIST-DG {Picture(examples[0])} rendered as photo");
    }

    [Fact]
    public void Render_rejects_examples_from_elsewhere()
    {
        var foreign = new Example("x.png", ImageSource.FromFile("/tmp/x.png")) { Label = 0, Domain = "photo" };
        var act = () => EmbeddedPictures.DefaultDataset.Render([foreign]);
        act.Should().Throw<ArgumentException>().WithMessage("Example 'x.png' does not come from this Fashion-MNIST-DG data set.*");
    }

    [Fact]
    public void Same_seed_gives_the_same_data_set_and_another_seed_another_assignment()
    {
        var options = new FashionMnistDgOptions { Source = FashionMnistSource.Embedded, MaxPerDomain = 30 };
        var a = FashionMnistDg.Load(options);
        var b = FashionMnistDg.Load(options);
        var c = FashionMnistDg.Load(options with { Seed = 1 });
        foreach (string domain in a.Domains)
        {
            a.GetExamples(domain).Select(e => (e.Key, e.Caption)).Should().Equal(b.GetExamples(domain).Select(e => (e.Key, e.Caption)));
            a.GetExamples(domain).Select(e => e.Key).Should().NotEqual(c.GetExamples(domain).Select(e => e.Key));
        }
    }

    [Fact]
    public void Trains_through_the_generic_loader_and_per_domain_sampler_unchanged()
    {
        var data = FashionMnistDg.Load(new FashionMnistDgOptions { Source = FashionMnistSource.Embedded, MaxPerDomain = 20, ImageSize = 24 });
        var split = data.LeaveOneDomainOut("rotated", seed: 0);
        using (var loader = ExampleLoader.Create(split.Train, new ExampleLoaderOptions { BatchSize = 8, Shuffle = true, DisposeBatches = false }))
        {
            using var first = loader.First();
            first.Images.shape.Should().Equal(8, 3, 24, 24);
            first.Labels.shape.Should().Equal(8);
            first.Domains.Should().OnlyContain(d => d != "rotated");
        }
        var sampler = PerDomainBatchSampler.ForTraining(split, perDomain: 2, seed: 0);
        sampler.First().Should().HaveCount(5).And.OnlyContain(batch => batch.Count == 2);
        using var step = ExampleLoader.PerDomain(sampler, new ExampleLoaderOptions { DisposeBatches = false }).First();
        step.Images.shape.Should().Equal(10, 3, 24, 24);
        step.Domains.Distinct().Should().BeEquivalentTo(split.SourceDomains);
    }

    [Fact]
    public void Domain_grid_has_one_row_per_domain_and_one_column_per_class()
    {
        var data = FashionMnistDg.Load(new FashionMnistDgOptions
        {
            Source = FashionMnistSource.Embedded,
            Domains = [FashionMnistDomain.Photo, FashionMnistDomain.Negative, FashionMnistDomain.Sketch],
            MaxPerDomain = 10,
        });
        using var scope = torch.NewDisposeScope();
        var grid = data.RenderDomainGrid();
        grid.shape.Should().Equal(30, 3, 32, 32);
        // Row 1 is the negative of row 0: same pictures, one per class.
        grid[10..20].allclose(1 - grid[0..10], rtol: 0, atol: 1e-6).Should().BeTrue();
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "grid.png");
        data.SaveDomainGrid(path);
        var png = EdSam.Imaging.ImageDecoder.DecodeFile(path);
        png.shape.Should().Equal(3, 3 * 34 + 2, 10 * 34 + 2);
    }

    [Fact]
    public void A_folder_of_idx_files_loads_both_splits_with_stable_ids()
    {
        using var folder = new TempFolder();
        folder.Write("t10k-images-idx3-ubyte", IdxFiles.Images(3, 28, 28, IdxFiles.Ramp(3 * 784)));
        folder.Write("t10k-labels-idx1-ubyte", IdxFiles.Labels(0, 1, 2));
        folder.Write("train-images-idx3-ubyte.gz", IdxFiles.Gzip(IdxFiles.Images(4, 28, 28, IdxFiles.Ramp(4 * 784, 3))));
        folder.Write("train-labels-idx1-ubyte.gz", IdxFiles.Gzip(IdxFiles.Labels(3, 4, 5, 9)));
        var data = FashionMnistDg.Load(new FashionMnistDgOptions { Source = FashionMnistSource.Folder, Folder = folder.Path });
        data.PictureCount.Should().Be(7);
        data.SourceDescription.Should().Contain(folder.Path).And.Contain("7 images");
        var keys = data.Domains.SelectMany(data.GetExamples).Select(Picture).Order().ToArray();
        keys.Should().Equal("test-00000", "test-00001", "test-00002", "train-00000", "train-00001", "train-00002", "train-00003");
        var trainExample = data.Domains.SelectMany(data.GetExamples).Single(e => Picture(e) == "train-00003");
        trainExample.Label.Should().Be(9);
    }

    [Fact]
    public void Broken_folders_are_reported_with_the_file_at_fault()
    {
        using var folder = new TempFolder();
        var options = new FashionMnistDgOptions { Source = FashionMnistSource.Folder, Folder = folder.Path };
        var act = () => FashionMnistDg.Load(options);
        act.Should().Throw<FileNotFoundException>().WithMessage($"{folder.Path} holds no Fashion-MNIST split*");

        string images = folder.Write("t10k-images-idx3-ubyte", IdxFiles.Images(3, 28, 28, IdxFiles.Ramp(3 * 784)));
        act.Should().Throw<FileNotFoundException>().WithMessage($"*has {images} but not its partner t10k-labels-idx1-ubyte*");

        string labels = folder.Write("t10k-labels-idx1-ubyte", IdxFiles.Labels(0, 1));
        act.Should().Throw<IdxFormatException>().WithMessage($"{labels}: 2 labels, but {images} holds 3 images.");

        folder.Write("t10k-labels-idx1-ubyte", IdxFiles.Labels(0, 12, 1));
        act.Should().Throw<IdxFormatException>().WithMessage($"{labels}: label 12 at index 1 is not a Fashion-MNIST class (0–9).");

        var missing = () => FashionMnistDg.Load(options with { Folder = Path.Combine(folder.Path, "absent") });
        missing.Should().Throw<DirectoryNotFoundException>();
    }

    [SkippableFact]
    public void Debian_folder_gives_all_70000_images_and_auto_picks_it()
    {
        Skip.IfNot(File.Exists(Path.Combine(FashionMnistDg.DebianFolder, "train-images-idx3-ubyte.gz")),
            "Debian's dataset-fashion-mnist is not installed here.");
        var data = FashionMnistDg.Load(new FashionMnistDgOptions { Source = FashionMnistSource.DebianFolder });
        data.PictureCount.Should().Be(70_000);
        data.Domains.Sum(d => data.GetExamples(d).Count).Should().Be(70_000);
        var auto = FashionMnistDg.Load(new FashionMnistDgOptions { MaxPerDomain = 10 });
        auto.SourceDescription.Should().Contain(FashionMnistDg.DebianFolder);
        // A test-split picture renders the same from the embedded copy and from the Debian folder.
        var fromDebian = data.Domains.SelectMany(data.GetExamples).First(e => Picture(e) == "test-00042");
        var domain = FashionMnistDomains.Parse(fromDebian.Domain!);
        using var scope = torch.NewDisposeScope();
        var embedded = new FashionMnistRenderer().Render(domain, EmbeddedPictures.Value.Images, [42], [42]);
        fromDebian.Image.Load().allclose(embedded[0], rtol: 0, atol: 0).Should().BeTrue();
    }
}
