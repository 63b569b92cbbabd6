using EdSam.Clip;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

/// <summary>ClipModel against the reference OpenAI CLIP outputs (fp32, max abs error ≤ 1e-4).</summary>
public class ClipConformanceTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [SkippableTheory]
    [InlineData("tiny-vit")]
    [InlineData("tiny-rn")]
    public void Features_and_logits_match_the_reference(string name)
    {
        using var fixture = ClipFixture.Open(name);
        using var model = fixture.LoadModel();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var imageFeatures = model.EncodeImage(fixture.Images);
        var textFeatures = model.EncodeText(fixture.Tokens);
        var (logitsPerImage, logitsPerText) = model.call(fixture.Images, fixture.Tokens);

        var errors = new Dictionary<string, double>
        {
            ["image_features"] = ClipFixture.MaxAbsError(imageFeatures, fixture.IO["image_features"]),
            ["text_features"] = ClipFixture.MaxAbsError(textFeatures, fixture.IO["text_features"]),
            ["logits_per_image"] = ClipFixture.MaxAbsError(logitsPerImage, fixture.IO["logits_per_image"]),
            ["logits_per_text"] = ClipFixture.MaxAbsError(logitsPerText, fixture.IO["logits_per_text"]),
        };
        foreach (var (output_, error) in errors) output.WriteLine($"{name} {output_}: max abs error {error:E2}");
        errors.Should().AllSatisfy(e => e.Value.Should().BeLessThanOrEqualTo(Tolerance, e.Key));
    }

    [SkippableTheory]
    [InlineData("tiny-vit")]
    [InlineData("tiny-rn")]
    public void Model_exposes_its_config(string name)
    {
        using var fixture = ClipFixture.Open(name);
        using var model = fixture.LoadModel();
        var config = ClipConfig.FromJson(fixture.ConfigPath);
        model.Config.Should().Be(config);
        model.EmbedDim.Should().Be(32);
        model.ImageSize.Should().Be((int)fixture.Images.shape[2]);
        model.ContextLength.Should().Be(77);
    }
}
