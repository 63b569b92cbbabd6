using EdSam.Data.FashionMnist;

namespace EdSam.Tests.Data.FashionMnist;

public class FashionMnistDgOptionsTests
{
    [Fact]
    public void Defaults_are_documented_values()
    {
        var options = new FashionMnistDgOptions();
        options.Source.Should().Be(FashionMnistSource.Auto);
        options.Folder.Should().BeNull();
        options.ImageSize.Should().Be(32);
        options.MaxPerDomain.Should().BeNull();
        options.Seed.Should().Be(0);
        options.Domains.Should().BeNull();
        options.DisjointDomains.Should().BeTrue();
        options.Invoking(o => o.Validate()).Should().NotThrow();
    }

    [Fact]
    public void Validation_reports_every_error_at_once()
    {
        var options = new FashionMnistDgOptions
        {
            Source = FashionMnistSource.Folder,
            ImageSize = 4,
            MaxPerDomain = 0,
            Domains = [FashionMnistDomain.Sketch],
        };
        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage(
            "Invalid FashionMnistDgOptions: Folder must be set when Source is Folder. " +
            "ImageSize must be in [8, 1024] pixels; got 4. " +
            "MaxPerDomain must be positive or null; got 0. " +
            "Domains must list at least two domains (leave-one-domain-out needs a source and a target); got 1.");
    }

    [Fact]
    public void Duplicate_and_undefined_domains_are_rejected()
    {
        var options = new FashionMnistDgOptions { Domains = [FashionMnistDomain.Photo, FashionMnistDomain.Photo, (FashionMnistDomain)9] };
        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>()
            .WithMessage("*Domains contains an undefined value.*Domains lists a domain twice.*");
    }

    [Fact]
    public void Load_validates_before_reading_anything()
    {
        var act = () => FashionMnistDg.Load(new FashionMnistDgOptions { Source = FashionMnistSource.Folder });
        act.Should().Throw<ArgumentException>().WithMessage("*Folder must be set*");
    }
}
