using EdSam.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

public class ClipModelTests
{
    [SkippableFact]
    public void Repeated_encoding_leaves_no_live_tensors_behind()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using var model = fixture.LoadModel();
        var images = fixture.Images;
        var tokens = fixture.Tokens;
        for (int i = 0; i < 3; i++) model.EncodeImage(images).Dispose(); // warm-up: lazily created handles

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 50; i++)
        {
            using var scope = NewDisposeScope();
            model.EncodeImage(images);
            model.EncodeText(tokens);
            model.call(images, tokens);
        }
        for (int i = 0; i < 50; i++) model.EncodeImage(images).Dispose(); // no outer scope: nothing may escape
        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before);
    }

    [SkippableFact]
    public void EncodeImage_is_differentiable_for_fine_tuning()
    {
        using var fixture = ClipFixture.Open("tiny-rn");
        using var model = fixture.LoadModel();
        using var scope = NewDisposeScope();
        var (logits, _) = model.call(fixture.Images, fixture.Tokens);
        nn.functional.cross_entropy(logits, arange(3L)).backward();
        var gradient = model.named_parameters().Single(p => p.name == "visual.conv1.weight").parameter.grad;
        gradient.Should().NotBeNull();
        gradient!.abs().sum().item<float>().Should().BeGreaterThan(0f);
    }

    [SkippableFact]
    public void Inference_helpers_match_the_normalised_differentiable_path()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using var model = fixture.LoadModel();
        using var scope = NewDisposeScope();
        var embedded = model.EmbedImages(fixture.Images);
        var expected = nn.functional.normalize(fixture.IO["image_features"], dim: -1);
        embedded.sub(expected).abs().max().item<float>().Should().BeLessThan(1e-5f);
        model.EmbedTexts(fixture.Tokens).norm(-1).sub(1).abs().max().item<float>().Should().BeLessThan(1e-5f);
    }

    [SkippableFact]
    public void Text_shorter_than_the_context_pools_the_same_EOT()
    {
        // Causal attention: tokens after the EOT cannot change it, so cutting the padding leaves the feature unchanged.
        using var fixture = ClipFixture.Open("tiny-vit");
        using var model = fixture.LoadModel();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long longest = fixture.Tokens.argmax(-1).max().item<long>() + 1;
        var shortened = model.EncodeText(fixture.Tokens.narrow(1, 0, longest));
        ClipFixture.MaxAbsError(shortened, fixture.IO["text_features"]).Should().BeLessThanOrEqualTo(1e-4);
    }

    [SkippableFact]
    public void Bad_inputs_get_clear_errors()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using var model = fixture.LoadModel();
        using var scope = NewDisposeScope();

        ((Action)(() => model.EncodeImage(zeros(1, 3, 64, 64)))).Should().Throw<ArgumentException>().WithMessage("*[N, 3, 32, 32]*got [1, 3, 64, 64]*");
        ((Action)(() => model.EncodeImage(zeros(new long[] { 1, 3, 32, 32 }, ScalarType.Int64)))).Should().Throw<ArgumentException>().WithMessage("*floating-point*");
        ((Action)(() => model.EncodeText(zeros(new long[] { 1, 78 }, ScalarType.Int64)))).Should().Throw<ArgumentException>().WithMessage("*L ≤ 77*");
        ((Action)(() => model.EncodeText(full(new long[] { 1, 5 }, 1000L, ScalarType.Int64)))).Should().Throw<ArgumentException>().WithMessage("*[0, 1000)*");
        ((Action)(() => model.EncodeText(zeros(1, 5)))).Should().Throw<ArgumentException>().WithMessage("*int64*");
    }

    [Fact]
    public void Randomly_initialised_models_of_both_towers_produce_finite_logits()
    {
        var config = new ClipConfig
        {
            EmbedDim = 16,
            Vision = new ClipVisionConfig { ImageSize = 64, Layers = [1, 1, 1, 1], Width = 8, HeadWidth = 32 },
            Text = new ClipTextConfig { Width = 32, Heads = 2, Layers = 1, VocabSize = 100, ContextLength = 8 },
        };
        foreach (var c in new[] { config, config with { Vision = new ClipVisionConfig { ImageSize = 32, Layers = [1], Width = 32, PatchSize = 16, HeadWidth = 16 } } })
        {
            using var model = new ClipModel(c);
            model.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (perImage, perText) = model.call(randn(2, 3, c.Vision.ImageSize, c.Vision.ImageSize), randint(0, 100, [3, 8]));
            perImage.shape.Should().Equal(2, 3);
            perText.shape.Should().Equal(3, 2);
            perImage.isfinite().all().item<bool>().Should().BeTrue();
            model.LogitScale.Should().BeApproximately(1 / 0.07, 1e-3);
        }
    }
}
