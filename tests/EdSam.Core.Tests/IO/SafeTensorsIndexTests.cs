using System.Text.Json.Nodes;
using EdSam.IO;
using static TorchSharp.torch;

namespace EdSam.Tests.IO;

public sealed class SafeTensorsIndexTests : IDisposable
{
    private readonly TemporaryFolder _folder = new("edsam-shards-");

    public void Dispose() => _folder.Dispose();

    private static Dictionary<string, Tensor> Tensors() => new(StringComparer.Ordinal)
    {
        ["a.weight"] = arange(6, dtype: ScalarType.Float32).reshape(2, 3),
        ["b.bias"] = tensor(new[] { 1.5f, -2f }),
        ["c.ids"] = tensor(new long[] { 7, 8, 9 }),
    };

    /// <summary>Writes <paramref name="shards"/> (file → keys) and an index whose weight map is <paramref name="weightMap"/> (all keys → their shard when null).</summary>
    private string WriteSharded(Dictionary<string, Tensor> tensors, Dictionary<string, string[]> shards, JsonObject? weightMap = null)
    {
        foreach (var (file, keys) in shards)
            SafeTensors.Save(_folder.File(file), keys.ToDictionary(k => k, k => tensors[k]));
        if (weightMap is null)
        {
            weightMap = [];
            foreach (var (file, keys) in shards)
                foreach (string key in keys) weightMap[key] = file;
        }
        string index = _folder.File(SafeTensorsIndex.DefaultFileName);
        File.WriteAllText(index, new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = 44 }, ["weight_map"] = weightMap }.ToJsonString());
        return index;
    }

    private static readonly Dictionary<string, string[]> TwoShards = new()
    {
        ["model-00001-of-00002.safetensors"] = ["a.weight", "c.ids"],
        ["model-00002-of-00002.safetensors"] = ["b.bias"],
    };

    [Fact]
    public void The_shards_together_give_every_tensor_of_the_checkpoint()
    {
        var tensors = Tensors();
        string index = WriteSharded(tensors, TwoShards);

        var read = SafeTensorsIndex.Read(index);
        var loaded = read.Load();

        read.ShardFiles.Should().Equal("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");
        read.WeightMap["b.bias"].Should().Be("model-00002-of-00002.safetensors");
        loaded.ShouldBeBitwiseEqualTo(tensors);
        foreach (var t in loaded.Values) t.Dispose();
    }

    [Fact]
    public void Only_index_file_names_count_as_indexes()
    {
        SafeTensorsIndex.IsIndexPath("/m/model.safetensors.index.json").Should().BeTrue();
        SafeTensorsIndex.IsIndexPath("/m/MODEL.SAFETENSORS.INDEX.JSON").Should().BeTrue();
        SafeTensorsIndex.IsIndexPath("/m/model.safetensors").Should().BeFalse();
        SafeTensorsIndex.IsIndexPath("/m/config.json").Should().BeFalse();
    }

    [Fact]
    public void A_missing_shard_is_named_with_its_index()
    {
        string index = WriteSharded(Tensors(), TwoShards);
        File.Delete(_folder.File("model-00002-of-00002.safetensors"));

        var act = () => SafeTensorsIndex.Read(index).Load();

        act.Should().Throw<FileNotFoundException>().WithMessage($"*{SafeTensorsIndex.DefaultFileName}*'model-00002-of-00002.safetensors' is missing*");
    }

    [Fact]
    public void A_shard_lacking_a_tensor_the_index_assigns_to_it_is_refused()
    {
        var weightMap = new JsonObject
        {
            ["a.weight"] = "model-00001-of-00002.safetensors", ["c.ids"] = "model-00001-of-00002.safetensors",
            ["b.bias"] = "model-00002-of-00002.safetensors", ["d.extra"] = "model-00002-of-00002.safetensors",
        };
        string index = WriteSharded(Tensors(), TwoShards, weightMap);

        var act = () => SafeTensorsIndex.Read(index).Load();

        act.Should().Throw<SafeTensorsFormatException>().WithMessage("*model-00002-of-00002.safetensors: lacks 1 tensor(s)*d.extra*");
    }

    [Fact]
    public void A_shard_holding_a_tensor_the_index_puts_elsewhere_is_refused()
    {
        var weightMap = new JsonObject
        {
            ["a.weight"] = "model-00001-of-00002.safetensors", ["c.ids"] = "model-00002-of-00002.safetensors", ["b.bias"] = "model-00002-of-00002.safetensors",
        };
        string index = WriteSharded(Tensors(), TwoShards, weightMap);

        var act = () => SafeTensorsIndex.Read(index).Load();

        act.Should().Throw<SafeTensorsFormatException>().WithMessage("*model-00001-of-00002.safetensors: tensor 'c.ids': belongs to shard 'model-00002-of-00002.safetensors'*");
    }

    [Theory]
    [InlineData("not json", "*is not valid JSON*")]
    [InlineData("""{"metadata": {}}""", "*weight_map: is missing*")]
    [InlineData("""{"weight_map": {}}""", "*weight_map: is empty*")]
    [InlineData("""{"weight_map": {"a": 3}}""", "*weight_map 'a': must be a shard file name*")]
    [InlineData("""{"weight_map": {"a": "../elsewhere.safetensors"}}""", "*weight_map 'a': '../elsewhere.safetensors' is not a .safetensors file name beside the index*")]
    [InlineData("""{"weight_map": {"a": "/etc/passwd"}}""", "*'/etc/passwd' is not a .safetensors file name*")]
    [InlineData("""{"weight_map": {"a": "model.bin"}}""", "*'model.bin' is not a .safetensors file name*")]
    public void A_malformed_index_is_refused_naming_the_file_and_field(string json, string message)
    {
        string index = _folder.File(SafeTensorsIndex.DefaultFileName);
        File.WriteAllText(index, json);

        var act = () => SafeTensorsIndex.Read(index);

        act.Should().Throw<SafeTensorsFormatException>().WithMessage(message).And.FilePath.Should().Be(index);
    }

    [Fact]
    public void A_missing_index_says_so()
    {
        var act = () => SafeTensorsIndex.Read(_folder.File("nothing.safetensors.index.json"));
        act.Should().Throw<FileNotFoundException>().WithMessage("*nothing.safetensors.index.json*does not exist*");
    }
}
