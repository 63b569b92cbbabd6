using EdSam.Distillation.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests;

public sealed class TextClassifierTests
{
    [Fact]
    public void Class_embeddings_are_the_renormalised_mean_of_normalised_prompt_embeddings()
    {
        using var teacher = TinySetup.Teacher();
        string[] classes = ["dog", "guitar", "house"];
        string[] templates = ["a photo of a {class}.", "a sketch of a {}."];
        using var head = TextClassifier.Create(teacher, TinySetup.Tokenize, classes, templates);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int c = 0; c < classes.Length; c++)
        {
            // Independent computation: encode, divide by the norm, average, divide by the norm again.
            string[] prompts = templates.Select(t => t.Replace("{class}", classes[c]).Replace("{}", classes[c])).ToArray();
            var encoded = teacher.EncodeText(TinySetup.Tokenize(prompts));
            var unit = encoded.div(encoded.norm(1, keepdim: true));
            var mean = unit.mean([0]);
            var expected = mean.div(mean.norm());
            var actual = head.ClassEmbeddings[c];
            actual.allclose(expected, rtol: 1e-5, atol: 1e-6).Should().BeTrue($"class {classes[c]}");
        }
        head.Scale.Should().BeApproximately(teacher.LogitScale, 1e-9);
        head.ClassEmbeddings.requires_grad.Should().BeFalse();
    }

    [Fact]
    public void Photo_style_is_the_single_published_template()
    {
        TextClassifier.Templates(PromptStyle.Photo, ["photo", "sketch"]).Should().Equal("a photo of a {class}");
    }

    [Fact]
    public void Domain_style_has_one_template_per_source_domain()
    {
        TextClassifier.Templates(PromptStyle.SourceDomains, ["art_painting", "cartoon"])
            .Should().Equal("an art painting of a {class}", "a cartoon of a {class}");
        var act = () => TextClassifier.Templates(PromptStyle.SourceDomains, []);
        act.Should().Throw<ArgumentException>().WithMessage("*at least one source domain*");
    }
}
