using EdSam.Cli.Tests.TestSupport;

namespace EdSam.Cli.Tests;

public sealed class DataInputsTests
{
    [Fact]
    public void Image_files_and_folders_are_keyed_by_their_full_path_however_they_were_spelled()
    {
        using var temp = new TempFolder();
        string a = TestModels.WriteSolidPng(temp.File(Path.Combine("imgs", "a.png")), 1, 0, 0);
        string b = TestModels.WriteSolidPng(temp.File(Path.Combine("imgs", "sub", "b.png")), 0, 1, 0);
        string relativeFolder = Path.GetRelativePath(Environment.CurrentDirectory, temp.File("imgs"));
        string relativeFile = Path.GetRelativePath(Environment.CurrentDirectory, a);
        relativeFolder.Should().NotStartWith("/", "the test needs a relative spelling");

        var keys = DataInputs.Images([relativeFolder, relativeFile]).Select(e => e.Key).ToList();

        // The keys a DomainBed folder or a caption table would give for the same files, so x* shards made from one
        // spelling are found when training on another.
        keys.Should().Equal(Path.GetFullPath(a), Path.GetFullPath(b), Path.GetFullPath(a));
    }
}
