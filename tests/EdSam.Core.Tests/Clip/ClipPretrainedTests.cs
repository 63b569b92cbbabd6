using System.Text.Json.Nodes;
using EdSam.Clip;
using EdSam.IO;
using EdSam.IO.Hub;
using EdSam.Tests.IO.Hub;
using EdSam.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

public sealed class ClipPretrainedTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("edsam-pretrained-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    /// <summary>open_clip's hub config: the model config under model_cfg, preprocessing under preprocess_cfg.</summary>
    private static string OpenClipConfigJson(ClipFixture fixture) => new JsonObject
    {
        ["model_cfg"] = JsonNode.Parse(File.ReadAllText(fixture.ConfigPath)),
        ["preprocess_cfg"] = new JsonObject
        {
            ["mean"] = new JsonArray(0.485, 0.456, 0.406),
            ["std"] = new JsonArray(0.229, 0.224, 0.225),
            ["interpolation"] = "bilinear",
        },
    }.ToJsonString();

    private const string HuggingFaceConfigJson = """
        {
          "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 32,
          "text_config": { "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "max_position_embeddings": 77,
                           "vocab_size": 1000, "intermediate_size": 256, "hidden_act": "quick_gelu" },
          "vision_config": { "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 1, "patch_size": 8,
                             "image_size": 32, "intermediate_size": 256, "hidden_act": "quick_gelu" }
        }
        """;

    private static void ExpectReferenceFeatures(ClipModel model, ClipFixture fixture)
    {
        using var noGrad = no_grad();
        using Tensor features = model.EncodeImage(fixture.Images);
        ClipFixture.MaxAbsError(features, fixture.IO["image_features"]).Should().BeLessThan(1e-4);
    }

    /// <summary>Writes the fixture's weights as transformers does for large models: two shards and their index, in <paramref name="folder"/>.</summary>
    private static void WriteShardedWeights(ClipFixture fixture, string folder)
    {
        var tensors = SafeTensors.Load(fixture.WeightsPath);
        try
        {
            var keys = tensors.Keys.Order(StringComparer.Ordinal).ToArray();
            var shards = new[] { keys[..(keys.Length / 2)], keys[(keys.Length / 2)..] };
            var weightMap = new JsonObject();
            for (int i = 0; i < shards.Length; i++)
            {
                string file = $"model-{i + 1:D5}-of-{shards.Length:D5}.safetensors";
                SafeTensors.Save(Path.Combine(folder, file), shards[i].ToDictionary(k => k, k => tensors[k]));
                foreach (string key in shards[i]) weightMap[key] = file;
            }
            File.WriteAllText(Path.Combine(folder, ClipPretrained.HuggingFaceShardIndexFile), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = weightMap }.ToJsonString());
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    [SkippableFact]
    public void Open_clip_folder_is_detected_and_loads_the_reference_model()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        string folder = NewFolder("openclip");
        File.WriteAllText(Path.Combine(folder, ClipPretrained.OpenClipConfigFile), OpenClipConfigJson(fixture));
        File.Copy(fixture.WeightsPath, Path.Combine(folder, ClipPretrained.OpenClipWeightsFile));
        File.Copy(SharedFixtures.Clip("bpe_simple_vocab_16e6.txt.gz"), Path.Combine(folder, "bpe_simple_vocab_16e6.txt.gz"));

        ClipPretrainedFiles files = ClipPretrained.Resolve(folder);
        using ClipModel model = ClipModel.FromPretrained(folder);

        files.Layout.Should().Be(ClipCheckpointLayout.OpenClip);
        files.ReadConfig().Should().Be(ClipConfig.FromJson(fixture.ConfigPath));
        ExpectReferenceFeatures(model, fixture);
        ImagePreprocessorOptions preprocess = files.ReadPreprocessorOptions(model.Config);
        preprocess.Mean.Should().Equal(0.485f, 0.456f, 0.406f);
        preprocess.Std.Should().Equal(0.229f, 0.224f, 0.225f);
        preprocess.Interpolation.Should().Be(ResizeInterpolation.Bilinear);
        preprocess.CropSize.Should().Be(32);
        files.HasTokenizer.Should().BeTrue();
        files.LoadTokenizer().Encode("a photo of a cat").Should().NotBeEmpty();
    }

    [SkippableFact]
    public void A_saved_model_loads_back_from_its_folder_with_its_preprocessing_and_tokenizer()
    {
        using var fixture = ClipFixture.Open("tiny-rn");
        using ClipModel original = fixture.LoadModel();
        string folder = Path.Combine(_root, "saved", "nested");   // created by the save
        var preprocess = ImagePreprocessorOptions.Clip(original.Config.Vision.ImageSize) with
        {
            Mean = [0.5f, 0.25f, 0.125f], Std = [0.2f, 0.3f, 0.4f], Interpolation = ResizeInterpolation.Bilinear,
        };

        original.SavePretrained(folder, preprocess, SharedFixtures.Clip(ClipPretrained.BpeVocabularyFile));
        ClipPretrainedFiles files = ClipPretrained.Resolve(folder);
        using ClipModel loaded = ClipModel.FromPretrained(folder);

        files.Layout.Should().Be(ClipCheckpointLayout.OpenClip);
        ExpectReferenceFeatures(original, fixture);   // saving leaves the model intact
        loaded.Config.Should().Be(original.Config);
        ExpectReferenceFeatures(loaded, fixture);
        using (var noGrad = no_grad())
        using (Tensor text = loaded.EncodeText(fixture.Tokens))
            ClipFixture.MaxAbsError(text, fixture.IO["text_features"]).Should().BeLessThan(1e-4);
        ImagePreprocessorOptions readBack = files.ReadPreprocessorOptions(loaded.Config);
        readBack.Mean.Should().Equal(preprocess.Mean);
        readBack.Std.Should().Equal(preprocess.Std);
        readBack.Interpolation.Should().Be(ResizeInterpolation.Bilinear);
        files.LoadTokenizer().Encode("a photo of a cat").Should().NotBeEmpty();
        Directory.GetFiles(folder).Select(Path.GetFileName).Should().BeEquivalentTo(
            [ClipPretrained.OpenClipConfigFile, ClipPretrained.OpenClipWeightsFile, ClipPretrained.BpeVocabularyFile], "no temporary files are left");
    }

    [SkippableFact]
    public void Saving_refuses_preprocessing_open_clip_cannot_record()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using ClipModel model = fixture.LoadModel();
        var imageNetStyle = ImagePreprocessorOptions.Clip(model.Config.Vision.ImageSize) with { ResizeSize = model.Config.Vision.ImageSize + 8 };
        string folder = Path.Combine(_root, "refused");

        var act = () => model.SavePretrained(folder, imageNetStyle);

        act.Should().Throw<ArgumentException>().WithMessage("*ResizeSize*");
        Directory.Exists(folder).Should().BeFalse("nothing is written when the options are refused");
    }

    [SkippableFact]
    public void Hugging_Face_folder_is_detected_with_its_preprocessor_config()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        string folder = NewFolder("hf");
        File.WriteAllText(Path.Combine(folder, ClipPretrained.HuggingFaceConfigFile), HuggingFaceConfigJson);
        File.Copy(fixture.WeightsPath, Path.Combine(folder, ClipPretrained.HuggingFaceWeightsFile));
        File.WriteAllText(Path.Combine(folder, ClipPretrained.PreprocessorConfigFile), """
            { "crop_size": { "height": 30, "width": 30 }, "size": { "shortest_edge": 36 }, "resample": 3,
              "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25] }
            """);

        ClipPretrainedFiles files = ClipPretrained.Resolve(folder);
        using ClipModel model = ClipModel.FromPretrained(folder);

        files.Layout.Should().Be(ClipCheckpointLayout.HuggingFace);
        files.HasTokenizer.Should().BeFalse();
        ExpectReferenceFeatures(model, fixture);
        ImagePreprocessorOptions preprocess = files.ReadPreprocessorOptions(model.Config);
        (preprocess.ResizeSize, preprocess.CropSize, preprocess.Interpolation).Should().Be((36, 30, ResizeInterpolation.Bicubic));
        preprocess.Mean.Should().Equal(0.5f, 0.5f, 0.5f);
        var noTokenizer = () => files.LoadTokenizer();
        noTokenizer.Should().Throw<ClipPretrainedException>().WithMessage("*vocab.json + merges.txt*FromBpeFile*");
    }

    [Fact]
    public void Pickle_only_folder_is_refused_with_a_conversion_command()
    {
        string folder = NewFolder("pickle");
        File.WriteAllText(Path.Combine(folder, "config.json"), "{}");
        File.WriteAllBytes(Path.Combine(folder, "pytorch_model.bin"), [0x80, 0x02]);

        var act = () => ClipModel.FromPretrained(folder);

        act.Should().Throw<ClipPretrainedException>()
            .WithMessage("*pytorch_model.bin*pickle*safetensors.torch.save_file(torch.load('pytorch_model.bin'*'model.safetensors')*");
    }

    [Fact]
    public void Folder_without_a_checkpoint_lists_what_is_expected_and_found()
    {
        string folder = NewFolder("empty");
        File.WriteAllText(Path.Combine(folder, "README.md"), "hi");

        var act = () => ClipPretrained.Resolve(folder);

        act.Should().Throw<ClipPretrainedException>()
            .WithMessage("*open_clip_config.json + open_clip_model.safetensors*config.json + model.safetensors*Found: README.md*");
    }

    [Fact]
    public void A_relative_name_the_hub_cannot_serve_says_no_local_folder_exists_either()
    {
        // 'models/tiny' is both a repository id and a relative path; the hub is unreachable (a closed loopback port).
        string cache = Path.Combine(_root, "cache");
        var hub = new HubOptions { Endpoint = $"http://127.0.0.1:{EdSam.Tests.IO.Hub.HubClientTests.ClosedPort()}", CacheDirectory = cache };

        var act = () => ClipPretrained.Resolve("models/tiny", new ClipPretrainedOptions { Hub = hub });

        act.Should().Throw<HubUnreachableException>()
            .WithMessage($"Cannot reach 127.0.0.1:*No local folder '{Path.GetFullPath("models/tiny")}' exists either*");
        (Directory.Exists(cache) ? Directory.GetFiles(cache, "*.incomplete", SearchOption.AllDirectories) : []).Should().BeEmpty();
    }

    [Fact]
    public void A_relative_name_the_hub_does_not_know_says_no_local_folder_exists_either()
    {
        using var server = new LoopbackHttpServer(_ => new LoopbackResponse(404, "Repository not found"u8.ToArray()));
        var hub = new HubOptions { Endpoint = server.BaseUrl.ToString().TrimEnd('/'), CacheDirectory = Path.Combine(_root, "cache"), Timeout = TimeSpan.FromSeconds(10) };

        var act = () => ClipPretrained.Resolve("models/tiny", new ClipPretrainedOptions { Hub = hub });

        act.Should().Throw<ClipPretrainedException>()
            .WithMessage($"'models/tiny' has no CLIP checkpoint*No local folder '{Path.GetFullPath("models/tiny")}' exists either*");
    }

    [Fact]
    public void A_missing_folder_path_is_not_mistaken_for_a_repository()
    {
        var act = () => ClipPretrained.Resolve(Path.Combine(_root, "no", "such", "folder"));
        act.Should().Throw<DirectoryNotFoundException>();
    }

    /// <summary>
    /// Serves <paramref name="files"/> (URL path → bytes, 404 otherwise) as a hub, loads <paramref name="repoId"/> from it,
    /// then again offline: both must give the reference features, the offline load must make no request, and every
    /// served file must have been downloaded.
    /// </summary>
    private void LoadsOnlineThenOffline(string repoId, Dictionary<string, byte[]> files, ClipFixture fixture)
    {
        using var server = new LoopbackHttpServer(request => files.TryGetValue(request.Path, out byte[]? body)
            ? new LoopbackResponse(200, body)
            : new LoopbackResponse(404, "Entry not found"u8.ToArray()));
        var hub = new HubOptions { Endpoint = server.BaseUrl.ToString().TrimEnd('/'), CacheDirectory = Path.Combine(_root, "cache"), Timeout = TimeSpan.FromSeconds(10) };

        using (ClipModel model = ClipModel.FromPretrained(repoId, new ClipPretrainedOptions { Hub = hub }))
            ExpectReferenceFeatures(model, fixture);
        int requestsOnline = server.Requests.Count;
        using ClipModel offline = ClipModel.FromPretrained(repoId, new ClipPretrainedOptions { Hub = hub with { Offline = true } });

        ExpectReferenceFeatures(offline, fixture);
        server.Requests.Count.Should().Be(requestsOnline, "offline loading must not touch the network");
        server.Requests.Where(r => r.Method == "GET").Select(r => r.Path).Should().Contain(files.Keys);
    }

    [SkippableFact]
    public void Hub_repository_is_downloaded_into_the_cache_and_then_works_offline()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        var files = new Dictionary<string, byte[]>
        {
            [$"/org/tiny-clip/resolve/main/{ClipPretrained.OpenClipConfigFile}"] = System.Text.Encoding.UTF8.GetBytes(OpenClipConfigJson(fixture)),
            [$"/org/tiny-clip/resolve/main/{ClipPretrained.OpenClipWeightsFile}"] = File.ReadAllBytes(fixture.WeightsPath),
        };
        LoadsOnlineThenOffline("org/tiny-clip", files, fixture);
    }

    [SkippableFact]
    public void Sharded_Hugging_Face_folder_loads_the_reference_model()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        string folder = NewFolder("hf-sharded");
        File.WriteAllText(Path.Combine(folder, ClipPretrained.HuggingFaceConfigFile), HuggingFaceConfigJson);
        WriteShardedWeights(fixture, folder);

        ClipPretrainedFiles files = ClipPretrained.Resolve(folder);
        using ClipModel model = ClipModel.FromPretrained(folder);

        files.Layout.Should().Be(ClipCheckpointLayout.HuggingFace);
        files.WeightsPath.Should().Be(Path.Combine(folder, ClipPretrained.HuggingFaceShardIndexFile));
        ExpectReferenceFeatures(model, fixture);
    }

    [SkippableFact]
    public void Sharded_hub_repository_downloads_every_shard_and_then_works_offline()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        string staging = NewFolder("staging");
        WriteShardedWeights(fixture, staging);
        var files = Directory.EnumerateFiles(staging).ToDictionary(f => $"/org/big-clip/resolve/main/{Path.GetFileName(f)}", File.ReadAllBytes);
        files[$"/org/big-clip/resolve/main/{ClipPretrained.HuggingFaceConfigFile}"] = System.Text.Encoding.UTF8.GetBytes(HuggingFaceConfigJson);
        LoadsOnlineThenOffline("org/big-clip", files, fixture);
    }

    [Fact]
    public void Hub_repository_with_only_pickle_weights_is_refused_without_downloading_them()
    {
        using var server = new LoopbackHttpServer(request => request.Path switch
        {
            "/org/old-clip/resolve/main/open_clip_config.json" => new LoopbackResponse(200, "{}"u8.ToArray()),
            "/org/old-clip/resolve/main/open_clip_pytorch_model.bin" => new LoopbackResponse(200, new byte[100]),
            _ => new LoopbackResponse(404, []),
        });
        var hub = new HubOptions { Endpoint = server.BaseUrl.ToString().TrimEnd('/'), CacheDirectory = Path.Combine(_root, "cache"), Timeout = TimeSpan.FromSeconds(10) };

        var act = () => ClipPretrained.Resolve("org/old-clip", new ClipPretrainedOptions { Hub = hub });

        act.Should().Throw<ClipPretrainedException>().WithMessage("*open_clip_pytorch_model.bin*open_clip_model.safetensors*");
        server.Requests.Where(r => r.Path.EndsWith(".bin")).Should().OnlyContain(r => r.Method == "HEAD");
    }

    [Fact]
    public void Unknown_repository_offline_says_so()
    {
        var hub = new HubOptions { CacheDirectory = Path.Combine(_root, "cache"), Offline = true };
        var act = () => ClipPretrained.Resolve("org/never-downloaded", new ClipPretrainedOptions { Hub = hub });
        act.Should().Throw<ClipPretrainedException>().WithMessage("*org/never-downloaded*offline*");
    }
}
