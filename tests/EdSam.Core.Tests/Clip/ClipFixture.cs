using EdSam.Clip;
using EdSam.IO;
using EdSam.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

/// <summary>The reference fixtures: a tiny model (config + weights) and its reference inputs and outputs.</summary>
internal sealed class ClipFixture : IDisposable
{
    private ClipFixture(string name, Dictionary<string, Tensor> io)
    {
        Name = name;
        ConfigPath = SharedFixtures.Clip($"{name}.config.json");
        WeightsPath = SharedFixtures.Clip($"{name}.safetensors");
        IO = io;
    }

    public string Name { get; }
    public string ConfigPath { get; }
    public string WeightsPath { get; }
    public Dictionary<string, Tensor> IO { get; }
    public Tensor Images => IO["images"];
    public Tensor Tokens => IO["tokens"];

    public static ClipFixture Open(string name) => new(name, SafeTensors.Load(SharedFixtures.Clip($"{name}.io.safetensors")));

    public ClipModel LoadModel(ClipLoadOptions? options = null) =>
        ClipModel.FromPretrained(ClipConfig.FromJson(ConfigPath), WeightsPath, options);

    public void Dispose()
    {
        foreach (var t in IO.Values) t.Dispose();
    }

    public static double MaxAbsError(Tensor actual, Tensor expected)
    {
        actual.shape.Should().Equal(expected.shape);
        using var diff = actual.to(ScalarType.Float32).sub(expected).abs_().max();
        return diff.item<float>();
    }
}
