using EdSam.Data;
using EdSam.Data.Captions;

namespace EdSam.Tests.Data.Captions;

public class CaptionTableTests
{
    private static void Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [0]);
    }

    [Fact]
    public void Rows_without_header_are_path_caption_label_domain_with_paths_relative_to_the_table()
    {
        using var folder = new TempFolder();
        Touch(folder.File("images", "a,1.png"));
        Touch(folder.File("images", "b.png"));
        string table = folder.File("captions.csv");
        File.WriteAllText(table, "\"images/a,1.png\",\"A dog, running \"\"fast\"\"\nacross\",2,photo\r\nimages/b.png,just a caption\n\n");

        var examples = CaptionTable.Open(table).ToList();

        examples.Should().HaveCount(2);
        examples[0].Key.Should().Be(folder.File("images", "a,1.png"));
        examples[0].Caption.Should().Be("A dog, running \"fast\"\nacross");
        examples[0].Label.Should().Be(2);
        examples[0].Domain.Should().Be("photo");
        examples[1].Key.Should().Be(folder.File("images", "b.png"));
        examples[1].Label.Should().BeNull();
        examples[1].Domain.Should().BeNull();
    }

    [Fact]
    public void A_header_naming_path_and_caption_columns_is_detected_and_columns_found_by_name()
    {
        using var folder = new TempFolder();
        Touch(folder.File("x.jpg"));
        string table = folder.File("list.tsv");
        File.WriteAllText(table, "Title\tdomain\tFilePath\tlabel\nA photo, of a thing\tart\tx.jpg\t1\n");

        var example = CaptionTable.Open(table).Single();

        example.Key.Should().Be(folder.File("x.jpg"));
        example.Caption.Should().Be("A photo, of a thing", "the .tsv extension makes tab the delimiter");
        example.Domain.Should().Be("art");
        example.Label.Should().Be(1);
    }

    [Fact]
    public void A_first_row_that_is_data_is_not_taken_for_a_header_and_HasHeader_can_force_it()
    {
        using var folder = new TempFolder();
        Touch(folder.File("image.png"));
        string table = folder.File("t.csv");
        File.WriteAllText(table, "image.png,caption\n");
        CaptionTable.Open(table).Should().ContainSingle().Which.Caption.Should().Be("caption",
            "'image.png' is not a column name, so the row is data");
        var forced = () => CaptionTable.Open(table, new CaptionTableOptions { HasHeader = true }).ToList();
        forced.Should().Throw<DataInputException>().Where(e => e.Line == 1);
    }

    [Fact]
    public void BaseDirectory_and_delimiter_options_override_the_defaults()
    {
        using var folder = new TempFolder();
        Touch(folder.File("elsewhere", "p.png"));
        string table = folder.File("t.txt");
        File.WriteAllText(table, "p.png;semi, colon\n");
        var example = CaptionTable.Open(table, new CaptionTableOptions { Delimiter = ';', BaseDirectory = folder.File("elsewhere") }).Single();
        example.Key.Should().Be(folder.File("elsewhere", "p.png"));
        example.Caption.Should().Be("semi, colon");
    }

    [Fact]
    public void A_bad_line_names_file_and_line_or_is_skipped_and_counted()
    {
        using var folder = new TempFolder();
        Touch(folder.File("a.png"));
        string table = folder.File("t.csv");
        File.WriteAllText(table, "a.png,ok\n\"multi\nline\",caption\nonly-one-field\na.png,fine,notanumber\nmissing.png,gone\na.png,last\n");

        var fail = () => CaptionTable.Open(table, new CaptionTableOptions { CheckFilesExist = false }).ToList();
        fail.Should().Throw<DataInputException>()
            .Where(e => e.Path == table && e.Line == 4 && e.Message.Contains("found 1"), "line 4 has one field; the quoted record spans lines 2-3");

        var skipping = CaptionTable.Open(table, new CaptionTableOptions { BadInputPolicy = BadInputPolicy.Skip });
        var kept = skipping.ToList();
        kept.Select(e => e.Caption).Should().Equal("ok", "last");
        skipping.SkippedCount.Should().Be(4, "the missing 'multi\\nline' file, one-field row, bad label, missing.png");
    }

    [Fact]
    public void A_stray_quote_is_skipped_with_its_line_under_Skip_but_an_unclosed_one_always_fails()
    {
        using var folder = new TempFolder();
        Touch(folder.File("a.png"));
        string table = folder.File("t.csv");
        File.WriteAllText(table, "a.png,first\r\n\"a.png,\"unterminated,1\r\na.png,after\n");

        var fail = () => CaptionTable.Open(table).ToList();
        fail.Should().Throw<DataInputException>().Where(e => e.Line == 2 && e.Message.Contains("doubled"));

        var skipping = CaptionTable.Open(table, new CaptionTableOptions { BadInputPolicy = BadInputPolicy.Skip });
        skipping.ToList().Select(e => e.Caption).Should().Equal("first", "after");
        skipping.SkippedCount.Should().Be(1);

        // An open quote runs to the end of the file: skipping it would silently drop every later row.
        File.WriteAllText(table, "a.png,first\n\"a.png,caption\na.png,swallowed\n");
        var unclosed = () => CaptionTable.Open(table, new CaptionTableOptions { BadInputPolicy = BadInputPolicy.Skip }).ToList();
        unclosed.Should().Throw<DataInputException>().Where(e => e.Line == 2 && e.Message.Contains("not closed"));
    }

    [Fact]
    public void A_missing_image_file_is_reported_with_the_table_line()
    {
        using var folder = new TempFolder();
        string table = folder.File("t.csv");
        File.WriteAllText(table, "path,caption\nnot-there.png,x\n");
        var act = () => CaptionTable.Open(table).ToList();
        act.Should().Throw<DataInputException>().Where(e => e.Line == 2 && e.Message.Contains(folder.File("not-there.png")));
    }

    [Fact]
    public void Label_names_map_through_ClassNames_and_ToDomainDataset_discovers_classes_and_domains()
    {
        using var folder = new TempFolder();
        foreach (string f in new[] { "1.png", "2.png", "3.png", "4.png" }) Touch(folder.File(f));
        string table = folder.File("pacs.csv");
        File.WriteAllText(table, "image,caption,class,domain\n1.png,a,tennis_racket,sketch\n2.png,b,dog,photo\n3.png,c,dog,sketch\n4.png,d,tennis racket,photo\n");

        var named = CaptionTable.Open(table, new CaptionTableOptions { ClassNames = ["dog", "tennis racket"] }).ToList();
        named.Select(e => e.Label).Should().Equal(1, 0, 0, 1);

        var unnamed = () => CaptionTable.Open(table).ToList();
        unnamed.Should().Throw<DataInputException>().WithMessage("*pacs.csv:2*ClassNames*");

        File.WriteAllText(table, "image,caption,class,domain\n1.png,a,tennis_racket,sketch\n2.png,b,dog,photo\n3.png,c,dog,sketch\n4.png,d,tennis_racket,photo\n");
        var dataset = CaptionTable.Open(table).ToDomainDataset();
        dataset.Name.Should().Be("pacs");
        dataset.Domains.Should().Equal("photo", "sketch");
        dataset.ClassNames.Should().Equal("dog", "tennis racket");
        dataset.GetExamples("sketch").Select(e => (e.Label, e.Caption)).Should().Equal((1, "a"), (0, "c"));
    }

    [Fact]
    public void A_url_table_is_explained_rather_than_reported_as_missing_files()
    {
        using var folder = new TempFolder();
        string table = folder.File("cc3m.tsv");
        File.WriteAllText(table, "caption\turl\na dog\thttp://example.com/1.jpg\n");
        var act = () => CaptionTable.Open(table).ToList();
        act.Should().Throw<DataInputException>().Where(e => e.Line == 1 && e.Message.Contains("URLs") && e.Message.Contains("WebDatasetReader"));
    }

    [Fact]
    public void Missing_table_is_a_FileNotFoundException()
    {
        var act = () => CaptionTable.Open("/nonexistent/t.csv");
        act.Should().Throw<FileNotFoundException>().WithMessage("*t.csv*");
    }
}
