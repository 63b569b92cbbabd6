using EdSam.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Tests.Training;

/// <summary>
/// A tiny but complete training setup exercising every source of state a resume must restore: parameters, BatchNorm
/// running statistics (buffers), AdamW moments and step counts, the learning-rate schedule, dropout and
/// <c>torch.randn</c> noise from the default generator, and a data-order generator.
/// </summary>
internal sealed class TinyTraining : IDisposable
{
    public const int Examples = 32;
    public const int BatchSize = 8;
    public const long TotalSteps = 10;

    private readonly Tensor _inputs;
    private readonly Tensor _targets;
    private readonly long _seed;

    public TinyTraining(long seed, long initSeed)
    {
        // Data is fixed by its own seed, independent of the run.
        var dataGenerator = new Generator(1234, torch.CPU);
        _inputs = torch.randn([Examples, 4], generator: dataGenerator);
        _targets = (_inputs.sum(1, keepdim: true) * 0.5).sin();
        dataGenerator.Dispose();

        _seed = seed;
        Augmentation = Seeding.Seed(seed);
        torch.manual_seed(initSeed);
        Model = nn.Sequential(
            ("fc1", nn.Linear(4, 16)),
            ("bn", nn.BatchNorm1d(16)),
            ("act", nn.ReLU()),
            ("drop", nn.Dropout(0.3)),
            ("fc2", nn.Linear(16, 1)));
        torch.manual_seed(seed);
        Optimizer = torch.optim.AdamW(Model.parameters(), lr: 1e-2, weight_decay: 0.01);
        Ema = new ExponentialMovingAverage(Model, 0.9);
    }

    public Sequential Model { get; }
    public AdamW Optimizer { get; }
    public Generator Augmentation { get; }
    public ExponentialMovingAverage Ema { get; }
    public LearningRateSchedule Schedule { get; } = LearningRateSchedule.WarmupCosine(1e-2, 3, TotalSteps, 1e-4);

    public CheckpointContents Contents => new()
    {
        Modules = new Dictionary<string, nn.Module> { ["model"] = Model },
        Optimizer = Optimizer,
        Generators = new Dictionary<string, Generator> { ["augmentation"] = Augmentation },
        States = new Dictionary<string, ICheckpointState> { ["ema"] = Ema },
    };

    /// <summary>Runs the optimisation step with 0-based index <paramref name="step"/>; returns its loss.</summary>
    public double Step(long step, string? lastCheckpoint = null)
    {
        Model.train();
        using var scope = torch.NewDisposeScope();
        int batchesPerEpoch = Examples / BatchSize;
        long[] order = Seeding.EpochPermutation(_seed, step / batchesPerEpoch, Examples);
        int batch = (int)(step % batchesPerEpoch);
        var index = torch.tensor(order.Skip(batch * BatchSize).Take(BatchSize).ToArray());
        // Two noise sources: the default generator (like dropout) and a trainer-owned one (like augmentation).
        var x = _inputs.index_select(0, index) + 0.05 * torch.randn([BatchSize, 4])
              + 0.05 * torch.randn([BatchSize, 4], generator: Augmentation);
        var y = _targets.index_select(0, index);

        Schedule.Apply(Optimizer, step);
        var loss = nn.functional.mse_loss(Model.call(x), y);
        double value = TrainingGuards.EnsureFiniteLoss(loss, step, lastCheckpoint);
        Optimizer.zero_grad();
        loss.backward();
        TrainingGuards.ClipGradientNorm(Model.parameters(), 1.0);
        Optimizer.step();
        Ema.Update(Model);
        return value;
    }

    /// <summary>Every state tensor (model and EMA) copied out as flat doubles, for exact comparison.</summary>
    public Dictionary<string, double[]> Snapshot()
    {
        var result = new Dictionary<string, double[]>();
        foreach (var (key, tensor) in Model.state_dict())
            result["model." + key] = tensor.detach().to_type(ScalarType.Float64).data<double>().ToArray();
        foreach (var (key, tensor) in Ema.StateDict())
            result["ema." + key] = tensor.detach().to_type(ScalarType.Float64).data<double>().ToArray();
        return result;
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        Model.Dispose();
        Ema.Dispose();
        Augmentation.Dispose();
        _inputs.Dispose();
        _targets.Dispose();
    }
}
