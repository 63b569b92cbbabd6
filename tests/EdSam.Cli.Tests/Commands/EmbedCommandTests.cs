using System.Text.Json;
using EdSam.Cli.Tests.TestSupport;
using EdSam.Clip;
using EdSam.Data.WebDataset;
using EdSam.IO;
using static TorchSharp.torch;

namespace EdSam.Cli.Tests.Commands;

public sealed class EmbedCommandTests
{
    [SkippableFact]
    public void Image_embeddings_are_normalised_keyed_and_equal_the_library_s()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        string[] images =
        [
            TestModels.WriteSolidPng(temp.File("imgs/1.png"), 0.9f, 0.2f, 0.1f),
            TestModels.WriteGradientPng(temp.File("imgs/2.png"), channel: 1),
            TestModels.WriteSolidPng(temp.File("imgs/3.png"), 0.2f, 0.3f, 0.9f),
        ];
        string output = temp.File("out/emb.safetensors");
        Directory.CreateDirectory(temp.File("out"));

        var result = CliRun.Invoke("embed", "--model", modelFolder, "--images", temp.File("imgs"), "--out", output, "--batch-size", "2");

        result.ExitCode.Should().Be(0, result.Error);
        var metadata = SafeTensors.ReadMetadata(output);
        metadata["model"].Should().Be(modelFolder);
        metadata["kind"].Should().Be("image");
        JsonSerializer.Deserialize<string[]>(metadata["keys"]).Should().Equal(images);
        var loaded = SafeTensors.Load(output);
        using var embeddings = loaded["embeddings"];
        embeddings.shape.Should().Equal(3, 16);
        using var norms = embeddings.norm(1);
        norms.data<float>().ToArray().Should().AllSatisfy(n => n.Should().BeApproximately(1f, 1e-5f));

        using var model = TestModels.LoadFullVocabModel(modelFolder);
        using var pixels = new ImagePreprocessor(ImagePreprocessorOptions.Clip(32)).Preprocess(images);
        using var expected = model.EmbedImages(pixels);
        embeddings.allclose(expected, rtol: 0, atol: 1e-5).Should().BeTrue();
    }

    [SkippableFact]
    public void Text_embeddings_equal_the_library_s()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        File.WriteAllLines(temp.File("texts.txt"), ["a photo of a cat", "", "a diagram of a dog"]);
        string output = temp.File("texts.safetensors");

        var result = CliRun.Invoke("embed", "--model", modelFolder, "--texts", temp.File("texts.txt"), "--out", output);

        result.ExitCode.Should().Be(0, result.Error);
        JsonSerializer.Deserialize<string[]>(SafeTensors.ReadMetadata(output)["keys"]).Should().Equal("a photo of a cat", "a diagram of a dog");
        using var embeddings = SafeTensors.Load(output)["embeddings"];
        using var model = TestModels.LoadFullVocabModel(modelFolder);
        using var tokens = ClipTokenizer.FromBpeFile(Path.Combine(modelFolder, "bpe_simple_vocab_16e6.txt.gz")).Tokenize(["a photo of a cat", "a diagram of a dog"]);
        using var expected = model.EmbedTexts(tokens);
        embeddings.allclose(expected, rtol: 0, atol: 1e-5).Should().BeTrue();
    }

    [SkippableFact]
    public void A_shard_slice_embeds_only_its_shards_in_order()
    {
        using var temp = new TempFolder();
        string modelFolder = TestModels.FullVocabModelFolder();
        using (var writer = new WebDatasetWriter(temp.File("shards"), new WebDatasetWriterOptions { MaxSamplesPerShard = 2 }))
        {
            for (int i = 0; i < 6; i++)
            {
                using var image = full(new long[] { 3, 20, 24 }, 0.15f * i);
                writer.Write($"sample{i}", image, caption: $"caption {i}");
            }
        }
        string pattern = temp.File("shards") + "/{000000..000002}.tar";
        string output = temp.File("slice.safetensors");

        var result = CliRun.Invoke("embed", "--model", modelFolder, "--images", pattern, "--shard-index", "1", "--shard-count", "2", "--out", output);

        result.ExitCode.Should().Be(0, result.Error);
        var metadata = SafeTensors.ReadMetadata(output);
        // Worker 1 of 2 takes shard 1 (samples 2 and 3); shards 0 and 2 belong to worker 0.
        JsonSerializer.Deserialize<string[]>(metadata["keys"]).Should().Equal("sample2", "sample3");
        metadata["shards"].Should().Be("1/2");
    }

    [Fact]
    public void Images_and_texts_together_are_a_usage_error()
    {
        var result = CliRun.Invoke("embed", "--model", "m", "--images", "a.png", "--texts", "t.txt", "--out", "o.safetensors");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("--images").And.Contain("--texts");
    }

    [Fact]
    public void A_shard_index_outside_the_count_is_a_usage_error()
    {
        var result = CliRun.Invoke("embed", "--model", "m", "--images", "a.tar", "--out", "o.safetensors", "--shard-index", "3", "--shard-count", "3");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("--shard-index");
    }
}
