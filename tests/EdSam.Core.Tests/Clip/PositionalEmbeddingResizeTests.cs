using EdSam.Clip;
using EdSam.IO;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

public class PositionalEmbeddingResizeTests
{
    [SkippableFact]
    public void ViT_loaded_at_another_image_size_gets_a_resized_grid_and_runs()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        var config = ClipConfig.FromJson(fixture.ConfigPath);
        var larger = config with { Vision = config.Vision with { ImageSize = 48 } };

        using var model = ClipModel.FromPretrained(larger, fixture.WeightsPath);
        using var scope = NewDisposeScope();
        var original = SafeTensors.Load(fixture.WeightsPath)["visual.positional_embedding"];
        var resized = model.state_dict()["visual.positional_embedding"];

        resized.shape.Should().Equal(1 + 6 * 6, 64);
        resized[0].allclose(original[0], rtol: 0, atol: 0).Should().BeTrue("the class token's embedding is kept");
        using var noGrad = no_grad();
        model.EncodeImage(randn(2, 3, 48, 48)).shape.Should().Equal(2, 32);
    }

    [SkippableFact]
    public void ResNet_attention_pool_embedding_is_resized_too()
    {
        using var fixture = ClipFixture.Open("tiny-rn");
        var config = ClipConfig.FromJson(fixture.ConfigPath);
        var larger = config with { Vision = config.Vision with { ImageSize = 96 } };

        using var model = ClipModel.FromPretrained(larger, fixture.WeightsPath);
        using var scope = NewDisposeScope();
        model.state_dict()["visual.attnpool.positional_embedding"].shape.Should().Equal(1 + 3 * 3, 512);
        using var noGrad = no_grad();
        model.EncodeImage(randn(1, 3, 96, 96)).shape.Should().Equal(1, 32);
    }

    [SkippableFact]
    public void Loading_at_the_checkpoint_size_leaves_the_embedding_identical()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using var model = fixture.LoadModel();
        using var scope = NewDisposeScope();
        var original = SafeTensors.Load(fixture.WeightsPath)["visual.positional_embedding"];
        model.state_dict()["visual.positional_embedding"].allclose(original, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Resizing_a_constant_grid_gives_the_same_constant_and_keeps_the_class_token()
    {
        using var scope = NewDisposeScope();
        var embedding = cat([full(1, 8, -3f), full(16, 8, 0.25f)], 0); // class token + 4×4 grid

        var resized = ClipCheckpointLoader.ResizeGrid(embedding, 7);

        resized.shape.Should().Equal(50, 8);
        resized[0].allclose(embedding[0], rtol: 0, atol: 0).Should().BeTrue();
        resized.narrow(0, 1, 49).sub(0.25f).abs().max().item<float>().Should().BeLessThan(1e-6f);
    }

    [Fact]
    public void Resizing_to_the_same_grid_is_the_identity()
    {
        using var scope = NewDisposeScope();
        var embedding = randn(1 + 5 * 5, 6);
        ClipCheckpointLoader.ResizeGrid(embedding, 5).sub(embedding).abs().max().item<float>().Should().BeLessThan(1e-6f);
    }

    [Fact]
    public void Embeddings_without_a_square_grid_are_refused()
    {
        using var embedding = zeros(1 + 10, 4);
        var act = () => ClipCheckpointLoader.ResizeGrid(embedding, 3);
        act.Should().Throw<ArgumentException>().WithMessage("*square grid*");
    }
}
