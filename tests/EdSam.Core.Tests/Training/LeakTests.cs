using EdSam.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Tests.Training;

/// <summary>Repeated use of the training helpers must not leave native tensors alive (TorchSharp's per-thread statistics).</summary>
[Collection(nameof(GlobalTorchRandom))]
public sealed class LeakTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edsam-leaks-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static long Live => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    [Fact]
    public void Checkpoint_save_and_load_and_the_step_helpers_leak_no_tensors()
    {
        using var model = nn.Sequential(("fc", nn.Linear(3, 4)), ("bn", nn.BatchNorm1d(4)));
        using var optimizer = optim.AdamW(model.parameters());
        using var ema = new ExponentialMovingAverage(model, 0.9);
        using var averager = new WeightAverager();
        using var swad = new SwadAverager();
        using var generator = Seeding.Seed(1);
        var contents = new CheckpointContents
        {
            Modules = new Dictionary<string, nn.Module> { ["model"] = model },
            Optimizer = optimizer,
            Generators = new Dictionary<string, Generator> { ["g"] = generator },
            States = new Dictionary<string, ICheckpointState> { ["ema"] = ema, ["avg"] = averager, ["swad"] = swad },
        };
        var manager = new CheckpointManager(new CheckpointOptions { Directory = _folder, KeepLast = 1 });
        var schedule = LearningRateSchedule.WarmupCosine(0.1, 2, 10);


        using var features = torch.randn(4, 3);
        using var shifted = features + 1;
        using var logitScale = torch.tensor(2.0f);
        using var fixedLoss = torch.tensor(0.5f);

        // Each helper runs outside any dispose scope, so whatever it forgets to dispose shows in the live count.
        var deltas = new Dictionary<string, long>();
        void Measure(string name, Action action)
        {
            long start = Live;
            action();
            deltas[name] = deltas.GetValueOrDefault(name) + Live - start;
        }

        void Round(long step)
        {
            using (torch.NewDisposeScope())
            {
                var loss = model.call(torch.randn(5, 3)).pow(2).mean();
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            Measure("Schedule.Apply", () => schedule.Apply(optimizer, step));
            Measure("EnsureFiniteLoss", () => TrainingGuards.EnsureFiniteLoss(fixedLoss, step, null));
            Measure("ClipGradientNorm", () => TrainingGuards.ClipGradientNorm(model.parameters(), 1));
            Measure("ClipContrastiveLoss", () => ClipContrastiveLoss.Compute(features, shifted, logitScale).Dispose());
            Measure("ema.Update", () => ema.Update(model));
            Measure("averager.Add", () => averager.Add(model));
            Measure("swad.AddSnapshot", () => swad.AddSnapshot(model));
            Measure("swad.Evaluate", () => swad.Evaluate(1.0 / (step + 1)));
            Measure("manager.Save", () => manager.Save(step + 1, contents, step));
            Measure("manager.TryLoadLatest", () => manager.TryLoadLatest<long>(contents));
            Measure("Seeding.EpochPermutation", () => Seeding.EpochPermutation(1, step, 10));
        }

        Round(0);   // first use creates lasting state (optimizer moments, EMA/StateDict tensors, gradients)
        Round(1);
        long before = Live;
        deltas.Clear();
        for (long step = 2; step < 6; step++) Round(step);

        (Live - before).Should().Be(0, "live tensors per helper: " + string.Join(", ", deltas.Select(kv => kv.Key + "=" + kv.Value)));
    }
}
