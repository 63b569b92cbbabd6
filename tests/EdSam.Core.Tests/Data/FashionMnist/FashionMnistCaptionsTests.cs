using EdSam.Data.FashionMnist;

namespace EdSam.Tests.Data.FashionMnist;

public class FashionMnistCaptionsTests
{
    [Theory]
    [InlineData(FashionMnistDomain.Photo, 0, 0, "a photo of a t-shirt")]
    [InlineData(FashionMnistDomain.Sketch, 9, 0, "a sketch of an ankle boot")]
    [InlineData(FashionMnistDomain.TintedTexture, 3, 0, "a painting of a dress")]
    [InlineData(FashionMnistDomain.BlurredNoisy, 7, 2, "a blurry photo showing a sneaker")]
    [InlineData(FashionMnistDomain.Negative, 8, 3, "a bag in a negative photo")]
    [InlineData(FashionMnistDomain.Rotated, 1, 1, "a rotated photo of the trouser")]
    [InlineData(FashionMnistDomain.Rotated, 9, 4, "this is a rotated photo of an ankle boot")]
    public void Templates_read_as_english(FashionMnistDomain domain, int label, int template, string expected) =>
        FashionMnistCaptions.Caption(domain, label, template).Should().Be(expected);

    [Fact]
    public void Every_caption_names_its_class_and_its_domain()
    {
        foreach (var domain in FashionMnistDomains.All)
            for (int label = 0; label < FashionMnistClasses.Count; label++)
                for (int template = 0; template < FashionMnistCaptions.Templates.Count; template++)
                {
                    string caption = FashionMnistCaptions.Caption(domain, label, template);
                    caption.Should().Contain(FashionMnistClasses.Names[label]).And.Contain(domain.CaptionNoun());
                    caption.Should().NotContain("{").And.NotContain(" a a").And.NotContain(" a ankle");
                }
    }

    [Fact]
    public void Template_choice_is_stable_per_image_and_uses_every_template()
    {
        var chosen = Enumerable.Range(0, 1000).Select(id => FashionMnistCaptions.TemplateFor(0, id)).ToArray();
        chosen.Should().Equal(Enumerable.Range(0, 1000).Select(id => FashionMnistCaptions.TemplateFor(0, id)));
        chosen.Distinct().Should().HaveCount(FashionMnistCaptions.Templates.Count);
        chosen.GroupBy(t => t).Should().OnlyContain(g => g.Count() > 120, "templates are drawn uniformly (200 expected each)");
    }

    [Fact]
    public void Out_of_range_arguments_are_rejected()
    {
        var act = () => FashionMnistCaptions.Caption(FashionMnistDomain.Photo, 10);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("classIndex");
        act = () => FashionMnistCaptions.Caption(FashionMnistDomain.Photo, 0, FashionMnistCaptions.Templates.Count);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("template");
    }

    [Fact]
    public void Class_names_are_the_real_ten_in_label_order()
    {
        FashionMnistClasses.OfficialNames.Should().Equal(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
        FashionMnistClasses.Names.Should().Equal(
            "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot");
    }

    [Fact]
    public void Domain_names_parse_back_and_unknown_names_list_the_valid_ones()
    {
        FashionMnistDomains.All.Select(d => d.Name()).Should().Equal(
            "photo", "negative", "sketch", "blurred-noisy", "tinted-texture", "rotated");
        foreach (var domain in FashionMnistDomains.All) FashionMnistDomains.Parse(domain.Name()).Should().Be(domain);
        FashionMnistDomains.Parse("SKETCH").Should().Be(FashionMnistDomain.Sketch);
        var act = () => FashionMnistDomains.Parse("cartoon");
        act.Should().Throw<ArgumentException>().WithMessage("Unknown Fashion-MNIST-DG domain 'cartoon'; the domains are: photo, negative, sketch, blurred-noisy, tinted-texture, rotated.*");
    }
}
