using EdSam.Data;
using EdSam.Data.DomainBed;

namespace EdSam.Tests.Data.DomainBed;

public class DomainBedFolderTests
{
    private static void Layout(TempFolder root, string domain, string cls, int images, string extension = ".png")
    {
        Directory.CreateDirectory(root.File(domain, cls));
        for (int i = 0; i < images; i++) File.WriteAllBytes(root.File(domain, cls, $"img{i}{extension}"), [1, 2, 3]);
    }

    [Fact]
    public void Discovers_domains_and_classes_sorted_ordinally_with_underscores_read_as_spaces()
    {
        using var root = new TempFolder();
        foreach (string domain in new[] { "sketch", "art_painting", "photo" })
        {
            Layout(root, domain, "tennis_racket", 2);
            Layout(root, domain, "dog", 3, ".JPG");
            Layout(root, domain, "Cat", 1, ".jpeg");
        }
        File.WriteAllText(root.File("photo", "dog", "notes.txt"), "not an image");
        File.WriteAllBytes(root.File("photo", "dog", ".hidden.png"), [1]);

        var dataset = DomainBedFolder.Open(root.Path);

        dataset.Name.Should().Be(Path.GetFileName(root.Path));
        dataset.Domains.Should().Equal("art_painting", "photo", "sketch");
        dataset.ClassFolders.Should().Equal("Cat", "dog", "tennis_racket");   // ordinal: upper case first
        dataset.ClassNames.Should().Equal("Cat", "dog", "tennis racket");
        var photo = dataset.GetExamples("photo");
        photo.Should().HaveCount(6, "the .txt file and the hidden file are not images");
        photo.Should().OnlyContain(e => e.Domain == "photo");
        foreach (var example in photo)
        {
            string classFolder = Path.GetFileName(Path.GetDirectoryName(example.Key))!;
            example.Label.Should().Be(dataset.ClassFolders.ToList().IndexOf(classFolder));
            example.Image.Description.Should().Be(example.Key);
        }
        dataset.SkippedCount.Should().Be(0);
    }

    [Fact]
    public void Class_index_is_the_union_over_domains_so_labels_agree_when_a_domain_lacks_a_class()
    {
        using var root = new TempFolder();
        Layout(root, "a", "bird", 1);
        Layout(root, "a", "zebra", 1);
        Layout(root, "b", "ant", 1);
        Layout(root, "b", "zebra", 1);

        var act = () => DomainBedFolder.Open(root.Path);
        act.Should().Throw<DataInputException>()
            .Where(e => e.Path == root.File("a", "ant") && e.Message.Contains("missing from domain 'a'"));

        var dataset = DomainBedFolder.Open(root.Path, new DomainBedOptions { BadInputPolicy = BadInputPolicy.Skip });
        dataset.ClassFolders.Should().Equal("ant", "bird", "zebra");
        dataset.SkippedCount.Should().Be(2, "'ant' is missing from a and 'bird' from b");
        dataset.GetExamples("a").Select(e => e.Label).Should().Equal(1, 2);
        dataset.GetExamples("b").Select(e => e.Label).Should().Equal(0, 2);
    }

    [Fact]
    public void Empty_class_folder_fails_naming_it_or_is_skipped_and_counted()
    {
        using var root = new TempFolder();
        Layout(root, "d1", "cat", 2);
        Layout(root, "d1", "dog", 0);
        Layout(root, "d2", "cat", 1);
        Layout(root, "d2", "dog", 1);

        var act = () => DomainBedFolder.Open(root.Path);
        act.Should().Throw<DataInputException>().Where(e => e.Path == root.File("d1", "dog") && e.Message.Contains("no images"));

        var dataset = DomainBedFolder.Open(root.Path, new DomainBedOptions { BadInputPolicy = BadInputPolicy.Skip });
        dataset.SkippedCount.Should().Be(1);
        dataset.GetExamples("d1").Should().HaveCount(2);
        dataset.GetExamples("d2").Should().HaveCount(2);
    }

    [Fact]
    public void Missing_root_empty_root_and_unknown_domain_are_clear_errors()
    {
        using var root = new TempFolder();
        var missing = () => DomainBedFolder.Open(root.File("nope"));
        missing.Should().Throw<DirectoryNotFoundException>().WithMessage("*nope*");
        var empty = () => DomainBedFolder.Open(root.Path);
        empty.Should().Throw<DataInputException>().WithMessage("*no domain folders*");

        Layout(root, "d", "c", 1);
        var unknown = () => DomainBedFolder.Open(root.Path).GetExamples("x");
        unknown.Should().Throw<ArgumentException>().WithMessage("*Unknown domain 'x'*d*");
    }

    [Fact]
    public void Invalid_options_are_all_reported_at_once()
    {
        var options = new DomainBedOptions { ImageExtensions = ["png"], BadInputPolicy = (BadInputPolicy)7, Name = "" };
        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>()
            .WithMessage("*must start with a dot*BadInputPolicy 7*Name must be null or non-empty*");
    }
}
