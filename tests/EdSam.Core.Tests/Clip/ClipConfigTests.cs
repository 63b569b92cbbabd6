using EdSam.Clip;
using EdSam.Tests.IO;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

public sealed class ClipConfigTests : IDisposable
{
    private static readonly string[] PublishedNames = ["ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-L-14-336", "RN50", "RN101", "RN50x4"];
    private readonly TemporaryFolder _temp = new("edsam-clip-config-");

    private string _folder => _temp.FullName;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Every_published_name_is_registered_with_OpenAI_QuickGELU()
    {
        ClipConfig.ListNames().Should().Contain(PublishedNames);
        foreach (string name in PublishedNames)
        {
            var config = ClipConfig.Named(name);
            config.QuickGelu.Should().BeTrue(name);
            config.Text.ContextLength.Should().Be(77, name);
            config.Text.VocabSize.Should().Be(49408, name);
            config.Text.Layers.Should().Be(12, name);
        }
    }

    // Values from open_clip's src/open_clip/model_configs/*.json (and OpenAI's CLIP paper, table 19/20).
    [Theory]
    [InlineData("ViT-B-32", 512, 224, 12, 768, 32, 512, 8)]
    [InlineData("ViT-B-16", 512, 224, 12, 768, 16, 512, 8)]
    [InlineData("ViT-L-14", 768, 224, 24, 1024, 14, 768, 12)]
    [InlineData("ViT-L-14-336", 768, 336, 24, 1024, 14, 768, 12)]
    public void ViT_configs_have_the_published_numbers(string name, int embed, int image, int layers, int width, int patch, int textWidth, int textHeads)
    {
        var config = ClipConfig.Named(name);
        config.EmbedDim.Should().Be(embed);
        config.Vision.Architecture.Should().Be(ClipVisionArchitecture.VisionTransformer);
        config.Vision.ImageSize.Should().Be(image);
        config.Vision.Layers.Should().Equal(layers);
        config.Vision.Width.Should().Be(width);
        config.Vision.PatchSize.Should().Be(patch);
        config.Vision.Heads.Should().Be(width / 64);
        config.Text.Width.Should().Be(textWidth);
        config.Text.Heads.Should().Be(textHeads);
    }

    [Theory]
    [InlineData("RN50", 1024, 224, new[] { 3, 4, 6, 3 }, 64, 512, 8)]
    [InlineData("RN101", 512, 224, new[] { 3, 4, 23, 3 }, 64, 512, 8)]
    [InlineData("RN50x4", 640, 288, new[] { 4, 6, 10, 6 }, 80, 640, 10)]
    public void ResNet_configs_have_the_published_numbers(string name, int embed, int image, int[] layers, int width, int textWidth, int textHeads)
    {
        var config = ClipConfig.Named(name);
        config.EmbedDim.Should().Be(embed);
        config.Vision.Architecture.Should().Be(ClipVisionArchitecture.ModifiedResNet);
        config.Vision.ImageSize.Should().Be(image);
        config.Vision.Layers.Should().Equal(layers);
        config.Vision.Width.Should().Be(width);
        config.Vision.PatchSize.Should().BeNull();
        config.Vision.Heads.Should().Be(width * 32 / 64);
        config.Text.Width.Should().Be(textWidth);
        config.Text.Heads.Should().Be(textHeads);
    }

    [Theory]
    [InlineData("ViT-B-32", 151_277_313)]
    [InlineData("RN50", 102_007_137)]
    public void Full_size_models_have_the_parameter_counts_OpenAI_published(string name, long parameters)
    {
        // The counts OpenAI's CLIP notebook prints ("Model parameters: …"), independent of this code: they pin
        // every width, depth, head and pooling size of the ViT and ModifiedResNet towers at full scale.
        using var model = new ClipModel(ClipConfig.Named(name));
        model.parameters().Sum(p => p.numel()).Should().Be(parameters);
    }

    [Fact]
    public void OpenAI_and_open_clip_spellings_resolve_to_the_same_config()
    {
        ClipConfig.Named("ViT-B/32").Should().Be(ClipConfig.Named("ViT-B-32"));
        ClipConfig.Named("vit-b-32-quickgelu").Should().Be(ClipConfig.Named("ViT-B-32"));
        ClipConfig.Named("RN50x4").Should().NotBe(ClipConfig.Named("RN50"));
    }

    [Fact]
    public void Unknown_name_lists_the_available_ones()
    {
        var act = () => ClipConfig.Named("ViT-Z-99");
        act.Should().Throw<ArgumentException>().WithMessage("*ViT-Z-99*").WithMessage("*RN50*ViT-B-32*")
            .Which.Message.Should().Contain(string.Join(", ", ClipConfig.ListNames()));
    }

    [Fact]
    public void Registered_configs_are_named_and_listed()
    {
        string path = Write("my-clip.json", Tiny());
        ClipConfig.Register("My-Tiny-Clip", path);
        ClipConfig.ListNames().Should().Contain("My-Tiny-Clip");
        ClipConfig.Named("my-tiny-clip").Vision.Width.Should().Be(64);

        string folder = Directory.CreateDirectory(Path.Combine(_folder, "zoo")).FullName;
        File.WriteAllText(Path.Combine(folder, "zoo-a.json"), Tiny());
        File.WriteAllText(Path.Combine(folder, "zoo-b.json"), Tiny().Replace("\"embed_dim\": 32", "\"embed_dim\": 16"));
        ClipConfig.RegisterDirectory(folder).Should().Equal("zoo-a", "zoo-b");
        ClipConfig.Named("zoo-b").EmbedDim.Should().Be(16);
    }

    [Fact]
    public void A_folder_with_a_bad_file_registers_nothing()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_folder, "bad-zoo")).FullName;
        File.WriteAllText(Path.Combine(folder, "good-one.json"), Tiny());
        File.WriteAllText(Path.Combine(folder, "bad-one.json"), Tiny().Replace("\"width\": 64, \"patch_size\"", "\"width\": -1, \"patch_size\""));
        var act = () => ClipConfig.RegisterDirectory(folder);
        act.Should().Throw<ClipConfigException>().WithMessage("*bad-one.json*vision_cfg.width*");
        ClipConfig.ListNames().Should().NotContain("good-one");
    }

    [Theory]
    [InlineData("\"embed_dim\": 32", "\"embed_dim\": \"big\"", "embed_dim must be an integer*")]
    [InlineData("\"embed_dim\": 32,", "", "embed_dim is missing")]
    [InlineData("\"width\": 64, \"patch_size\": 8", "\"width\": 64, \"patch_size\": 7", "vision_cfg.image_size (32) must be a multiple of vision_cfg.patch_size (7)")]
    [InlineData("\"layers\": 2, \"width\": 64", "\"layers\": [1, 2, 3], \"width\": 64", "vision_cfg.layers must be an integer (ViT) or an array of 4 integers*")]
    [InlineData("\"heads\": 2", "\"heads\": 3", "text_cfg.width (64) must be a multiple of text_cfg.heads (3)")]
    [InlineData("\"heads\": 2", "\"heads\": 2, \"pool_type\": \"avg\"", "text_cfg.pool_type is not supported*")]
    [InlineData("\"quick_gelu\": true", "\"quick_gelu\": \"yes\"", "quick_gelu must be true or false*")]
    public void Bad_fields_are_named_in_the_error(string original, string replacement, string expectedProblem)
    {
        string path = Write("bad.json", Tiny().Replace(original, replacement));
        var act = () => ClipConfig.FromJson(path);
        var error = act.Should().Throw<ClipConfigException>().Which;
        error.Problems.Should().ContainMatch(expectedProblem);
        error.Message.Should().Contain(path);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        string path = Write("bad.json", Tiny().Replace("\"embed_dim\": 32", "\"embed_dim\": 0").Replace("\"heads\": 2", "\"heads\": -2"));
        var act = () => ClipConfig.FromJson(path);
        act.Should().Throw<ClipConfigException>().Which.Problems.Should().HaveCount(2)
            .And.ContainMatch("embed_dim must be positive*").And.ContainMatch("text_cfg.heads must be positive*");
    }

    [Fact]
    public void Malformed_json_and_missing_files_are_reported_clearly()
    {
        var badJson = () => ClipConfig.FromJson(Write("broken.json", "{ \"embed_dim\": "));
        badJson.Should().Throw<ClipConfigException>().WithMessage("*broken.json*not valid JSON*");
        var missing = () => ClipConfig.FromJson(Path.Combine(_folder, "absent.json"));
        missing.Should().Throw<FileNotFoundException>().WithMessage("*absent.json*");
    }

    [Fact]
    public void The_hubs_open_clip_config_wrapper_is_read()
    {
        string path = Write("open_clip_config.json", $$"""{ "model_cfg": {{Tiny()}}, "preprocess_cfg": { "mean": [0.5, 0.5, 0.5] } }""");
        ClipConfig.FromJson(path).Should().Be(ClipConfig.FromJsonText(Tiny()));
    }

    [Fact]
    public void A_Hugging_Face_config_given_as_open_clip_says_which_reader_to_use_and_Load_reads_both()
    {
        string hf = Write("config.json", """{ "projection_dim": 512, "text_config": {}, "vision_config": {} }""");
        var act = () => ClipConfig.FromJson(hf);
        act.Should().Throw<ClipConfigException>().WithMessage("*Hugging Face*FromHuggingFaceConfig*");
        ClipConfig.Load(hf).Should().Be(ClipConfig.Named("ViT-B-32"));
        ClipConfig.Load(Write("tiny.json", Tiny())).Should().Be(ClipConfig.FromJsonText(Tiny()));
    }

    [Fact]
    public void Configs_built_in_code_are_validated_by_the_model()
    {
        var config = ClipConfig.FromJsonText(Tiny()) with { EmbedDim = -5 };
        var act = () => new ClipModel(config);
        act.Should().Throw<ClipConfigException>().WithMessage("*embed_dim must be positive (got -5)*");
    }

    [Fact]
    public void A_GELU_variant_is_one_with_expression_away()
    {
        var gelu = ClipConfig.Named("ViT-B-32") with { QuickGelu = false };
        gelu.QuickGelu.Should().BeFalse();
        ClipConfig.Named("ViT-B-32").QuickGelu.Should().BeTrue("the registry hands out immutable records");
    }

    [Fact]
    public void ResNet_layers_array_needs_a_null_patch_size()
    {
        var act = () => ClipConfig.FromJsonText(Tiny().Replace("\"layers\": 2, \"width\": 64", "\"layers\": [1, 1, 1, 1], \"width\": 64"), "inline");
        act.Should().Throw<ClipConfigException>().Which.Problems.Should().ContainMatch("vision_cfg.patch_size must be null for a ModifiedResNet*");
    }

    private string Write(string name, string json)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, json);
        return path;
    }

    private static string Tiny() => """
        {
          "embed_dim": 32,
          "quick_gelu": true,
          "vision_cfg": { "image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 64 },
          "text_cfg": { "context_length": 77, "vocab_size": 1000, "width": 64, "heads": 2, "layers": 2 }
        }
        """;

    [Theory]
    [InlineData("ViT-B-32")]
    [InlineData("ViT-L-14-336")]
    [InlineData("RN50")]
    [InlineData("RN50x4")]
    public void ToJson_reads_back_as_an_equal_config(string name)
    {
        ClipConfig config = ClipConfig.Named(name) with { QuickGelu = name == "RN50" ? false : true };

        ClipConfig readBack = ClipConfig.FromJsonText(config.ToJson(), name);

        readBack.Should().Be(config);
        readBack.Vision.Layers.Should().Equal(config.Vision.Layers);
        readBack.ToJson().Should().Be(config.ToJson());
    }
}
