using EdSam.IO;
using EdSam.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Tests.Training;

[Collection(nameof(GlobalTorchRandom))]
public sealed class CheckpointManagerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edsam-checkpoints-").FullName;
    private readonly ListLogger _logger = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private CheckpointManager Manager(int keepLast = 3) =>
        new(new CheckpointOptions { Directory = _folder, KeepLast = keepLast, Logger = _logger });

    private static Sequential NewModel(long seed)
    {
        torch.manual_seed(seed);
        return nn.Sequential(("fc", nn.Linear(3, 4)), ("bn", nn.BatchNorm1d(4)));
    }

    private static CheckpointContents Contents(nn.Module model, optim.Optimizer? optimizer = null) => new()
    {
        Modules = new Dictionary<string, nn.Module> { ["model"] = model },
        Optimizer = optimizer,
    };

    private static Dictionary<string, float[]> Weights(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to_type(ScalarType.Float32).data<float>().ToArray());

    private static float[] Values(Tensor tensor) => tensor.detach().to_type(ScalarType.Float32).data<float>().ToArray();

    private static void TrainSteps(Sequential model, optim.Optimizer optimizer, int steps)
    {
        model.train();
        for (int i = 0; i < steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            var loss = model.call(torch.randn(5, 3)).pow(2).mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
    }

    private void SaveModel(CheckpointManager manager, long step, long seed)
    {
        using var model = NewModel(seed);
        manager.Save(step, Contents(model), new State(step));
    }

    [Fact]
    public void Save_writes_a_complete_step_folder_and_no_temporary_folder()
    {
        using var model = NewModel(1);
        using var optimizer = torch.optim.AdamW(model.parameters());
        TrainSteps(model, optimizer, 1);

        string path = Manager().Save(42, Contents(model, optimizer), new State(42));

        path.Should().Be(Path.Combine(_folder, "step-000042"));
        Directory.GetFiles(path).Select(Path.GetFileName).Should().BeEquivalentTo(
            "model.safetensors", "optimizer.safetensors", "optimizer.json", "rng.safetensors", "state.json");
        Directory.GetDirectories(_folder).Select(Path.GetFileName).Should().Equal("step-000042");
        SafeTensors.Load(Path.Combine(path, "model.safetensors")).Keys.Should().BeEquivalentTo(
            ["fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"],
            "parameters and BatchNorm buffers are both saved");
        SafeTensors.Load(Path.Combine(path, "optimizer.safetensors")).Keys.Should().Contain(["state.0.exp_avg", "state.0.exp_avg_sq"]);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(path, "state.json")));
        json.RootElement.GetProperty("format_version").GetInt32().Should().Be(CheckpointManager.FormatVersion);
        json.RootElement.GetProperty("step").GetInt64().Should().Be(42);
        json.RootElement.GetProperty("trainer_state").GetProperty("Step").GetInt64().Should().Be(42);
        Manager().LastCheckpointPath.Should().BeNull("a new manager has neither saved nor loaded");
    }

    [Fact]
    public void Only_the_newest_KeepLast_checkpoints_survive()
    {
        var manager = Manager(keepLast: 2);
        for (long step = 1; step <= 4; step++) SaveModel(manager, step * 10, step);

        manager.List().Select(c => c.Step).Should().Equal(30, 40);
        manager.LastCheckpointPath.Should().Be(Path.Combine(_folder, "step-000040"));
    }

    [Fact]
    public void Saving_the_same_step_again_replaces_it()
    {
        var manager = Manager();
        SaveModel(manager, 5, seed: 1);
        SaveModel(manager, 5, seed: 2);
        using var model = NewModel(2);
        var expected = Weights(model);
        using var restored = NewModel(3);

        manager.TryLoadLatest<State>(Contents(restored))!.Step.Should().Be(5);

        Weights(restored).Should().BeEquivalentTo(expected);
        Directory.GetDirectories(_folder).Select(Path.GetFileName).Should().Equal("step-000005");
    }

    [Fact]
    public void An_empty_folder_has_no_checkpoint_to_resume()
    {
        using var model = NewModel(1);
        Manager().TryLoadLatest<State>(Contents(model)).Should().BeNull();
    }

    [Fact]
    public void Restores_weights_buffers_and_optimizer_state_exactly()
    {
        using var model = NewModel(1);
        using var optimizer = torch.optim.AdamW(model.parameters(), lr: 0.01, amsgrad: true);
        TrainSteps(model, optimizer, 3);
        optimizer.ParamGroups.First().LearningRate = 0.0042;
        var manager = Manager();
        manager.Save(3, Contents(model, optimizer), new State(3));

        using var restored = NewModel(2);
        using var restoredOptimizer = torch.optim.AdamW(restored.parameters(), lr: 0.5, amsgrad: true);
        var loaded = manager.TryLoadLatest<State>(Contents(restored, restoredOptimizer));

        loaded.Should().Be(new LoadedCheckpoint<State>(3, new State(3), Path.Combine(_folder, "step-000003")));
        Weights(restored).Should().BeEquivalentTo(Weights(model));
        restoredOptimizer.ParamGroups.First().LearningRate.Should().Be(0.0042);
        var original = optimizer.state_dict().State.Cast<AdamW.State>().ToList();
        var copy = restoredOptimizer.state_dict().State.Cast<AdamW.State>().ToList();
        copy.Should().HaveCount(original.Count);
        for (int i = 0; i < original.Count; i++)
        {
            copy[i].step.Should().Be(3);
            Values(copy[i].exp_avg).Should().Equal(Values(original[i].exp_avg));
            Values(copy[i].exp_avg_sq).Should().Equal(Values(original[i].exp_avg_sq));
            Values(copy[i].max_exp_avg_sq).Should().Equal(Values(original[i].max_exp_avg_sq));
        }

        // The restored pair keeps training exactly like the original.
        torch.manual_seed(11);
        TrainSteps(model, optimizer, 2);
        torch.manual_seed(11);
        TrainSteps(restored, restoredOptimizer, 2);
        Weights(restored).Should().BeEquivalentTo(Weights(model));
    }

    [Fact]
    public void Restores_SGD_momentum_including_a_buffer_that_does_not_exist_yet()
    {
        using var model = NewModel(1);
        using var optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        TrainSteps(model, optimizer, 2);
        var manager = Manager();
        manager.Save(2, Contents(model, optimizer), new State(2));

        using var restored = NewModel(1);
        using var restoredOptimizer = torch.optim.SGD(restored.parameters(), 0.1, momentum: 0.9);
        manager.TryLoadLatest<State>(Contents(restored, restoredOptimizer));

        var original = optimizer.state_dict().State.Cast<SGD.State>().ToList();
        var copy = restoredOptimizer.state_dict().State.Cast<SGD.State>().ToList();
        for (int i = 0; i < original.Count; i++)
            Values(copy[i].momentum_buffer).Should().Equal(Values(original[i].momentum_buffer));
    }

    [Fact]
    public void A_checkpoint_without_state_json_is_skipped_with_a_warning_and_the_previous_one_is_used()
    {
        var manager = Manager();
        SaveModel(manager, 1, seed: 1);
        SaveModel(manager, 2, seed: 2);
        File.Delete(Path.Combine(_folder, "step-000002", "state.json"));
        using var expected = NewModel(1);
        using var model = NewModel(3);

        var loaded = manager.TryLoadLatest<State>(Contents(model));

        loaded!.Step.Should().Be(1);
        Weights(model).Should().BeEquivalentTo(Weights(expected));
        _logger.Entries.Should().ContainSingle(e => e.Level == LogLevel.Warning)
            .Which.Message.Should().Contain("step-000002").And.Contain("state.json is missing");
    }

    [Fact]
    public void A_truncated_safetensors_is_skipped_and_the_model_is_restored_from_the_previous_checkpoint()
    {
        var manager = Manager();
        SaveModel(manager, 1, seed: 1);
        SaveModel(manager, 2, seed: 2);
        string weights = Path.Combine(_folder, "step-000002", "model.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..40]);
        using var expected = NewModel(1);
        using var model = NewModel(3);

        manager.TryLoadLatest<State>(Contents(model))!.Step.Should().Be(1);

        Weights(model).Should().BeEquivalentTo(Weights(expected));
        _logger.Entries.Should().Contain(e => e.Level == LogLevel.Warning && e.Message.Contains("model.safetensors cannot be read"));
    }

    [Fact]
    public void Loading_a_specific_corrupt_checkpoint_throws_and_changes_nothing()
    {
        var manager = Manager();
        SaveModel(manager, 1, seed: 1);
        string path = Path.Combine(_folder, "step-000001");
        File.Delete(Path.Combine(path, "rng.safetensors"));
        using var model = NewModel(3);
        var before = Weights(model);

        var act = () => manager.Load<State>(path, Contents(model));

        act.Should().Throw<CheckpointException>()
            .Where(e => e.Problem == CheckpointProblem.Corrupt && e.CheckpointPath == path)
            .WithMessage("*step-000001*incomplete or corrupt*rng.safetensors is missing*");
        Weights(model).Should().BeEquivalentTo(before, "validation happens before any tensor is copied");
    }

    [Fact]
    public void A_checkpoint_of_another_architecture_is_refused_not_skipped()
    {
        var manager = Manager();
        SaveModel(manager, 1, seed: 1);
        using var wider = nn.Sequential(("fc", nn.Linear(3, 5)), ("bn", nn.BatchNorm1d(5)));

        var act = () => manager.TryLoadLatest<State>(Contents(wider));

        act.Should().Throw<CheckpointException>()
            .Where(e => e.Problem == CheckpointProblem.Incompatible)
            .WithMessage("*does not fit*'fc.weight'*[4, 3]*expects*[5, 3]*");
    }

    [Fact]
    public void An_optimizer_of_another_type_is_refused()
    {
        using var model = NewModel(1);
        using var adam = torch.optim.Adam(model.parameters());
        var manager = Manager();
        manager.Save(1, Contents(model, adam), new State(1));
        using var sgd = torch.optim.SGD(model.parameters(), 0.1);

        var act = () => manager.TryLoadLatest<State>(Contents(model, sgd));

        act.Should().Throw<CheckpointException>().WithMessage("*TorchSharp.Modules.Adam*TorchSharp.Modules.SGD*");
    }

    [Fact]
    public void A_damaged_optimizer_json_is_corrupt_and_leaves_the_model_untouched()
    {
        using var model = NewModel(1);
        using var optimizer = torch.optim.AdamW(model.parameters());
        var manager = Manager();
        string path = manager.Save(1, Contents(model, optimizer), new State(1));
        string json = Path.Combine(path, "optimizer.json");
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"beta1\": 0.9", "\"beta1\": \"high\""));
        using var other = NewModel(2);
        using var otherOptimizer = torch.optim.AdamW(other.parameters());
        var before = Weights(other);

        var act = () => manager.Load<State>(path, Contents(other, otherOptimizer));

        act.Should().Throw<CheckpointException>().Where(e => e.Problem == CheckpointProblem.Corrupt).WithMessage("*optimizer.json*beta1*");
        Weights(other).Should().BeEquivalentTo(before);
    }

    [Fact]
    public void Restores_the_default_and_trainer_owned_generators()
    {
        using var model = NewModel(1);
        using var generator = new Generator(5, torch.CPU);
        var contents = new CheckpointContents
        {
            Modules = new Dictionary<string, nn.Module> { ["model"] = model },
            Generators = new Dictionary<string, Generator> { ["noise"] = generator },
        };
        torch.manual_seed(77);
        var manager = Manager();
        manager.Save(1, contents, new State(1));
        float[] expectedDefault = torch.randn(4).data<float>().ToArray();
        float[] expectedOwned = torch.randn(4, generator: generator).data<float>().ToArray();

        torch.manual_seed(1);
        torch.randn(10, generator: generator).Dispose();
        manager.TryLoadLatest<State>(contents);

        torch.randn(4).data<float>().ToArray().Should().Equal(expectedDefault);
        torch.randn(4, generator: generator).data<float>().ToArray().Should().Equal(expectedOwned);
    }

    [Fact]
    public void Extra_states_are_saved_and_restored()
    {
        using var model = NewModel(1);
        using var averager = new WeightAverager();
        averager.Add(model);
        var manager = Manager();
        manager.Save(1, new CheckpointContents { Modules = new Dictionary<string, nn.Module> { ["model"] = model }, States = new Dictionary<string, ICheckpointState> { ["swad"] = averager } }, new State(1));

        using var restored = new WeightAverager();
        manager.TryLoadLatest<State>(new CheckpointContents { Modules = new Dictionary<string, nn.Module> { ["model"] = model }, States = new Dictionary<string, ICheckpointState> { ["swad"] = restored } });

        restored.Count.Should().Be(1);
        using var copy = NewModel(9);
        restored.CopyTo(copy);
        Weights(copy).Should().BeEquivalentTo(Weights(model));
    }

    [Fact]
    public void Asking_for_a_module_the_checkpoint_does_not_hold_names_what_it_holds()
    {
        var manager = Manager();
        SaveModel(manager, 1, seed: 1);
        using var model = NewModel(1);

        var act = () => manager.TryLoadLatest<State>(new CheckpointContents { Modules = new Dictionary<string, nn.Module> { ["student"] = model } });

        act.Should().Throw<CheckpointException>().WithMessage("*no module named 'student'*saved modules: model*");
    }

    [Fact]
    public void Saving_behind_a_later_checkpoint_warns_that_resume_would_pick_the_later_one()
    {
        var manager = Manager();
        SaveModel(manager, 20, seed: 1);
        SaveModel(manager, 10, seed: 2);

        _logger.Entries.Should().ContainSingle(e => e.Level == LogLevel.Warning)
            .Which.Message.Should().Contain("step-000010").And.Contain("step-000020");
    }

    [Theory]
    [InlineData("state")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("..")]
    public void Unsafe_or_reserved_names_are_refused(string name)
    {
        using var model = NewModel(1);
        var act = () => Manager().Save(1, new CheckpointContents { Modules = new Dictionary<string, nn.Module> { [name] = model } }, new State(1));
        act.Should().Throw<ArgumentException>().WithMessage($"*'{name}'*");
    }

    [Fact]
    public void Options_report_every_error_at_once()
    {
        var act = () => new CheckpointOptions { Directory = " ", KeepLast = 0 }.Validate();
        act.Should().Throw<ArgumentException>().WithMessage(
            "Invalid CheckpointOptions: Directory must name the checkpoint folder (was empty). KeepLast must be at least 1 so the newest checkpoint survives (was 0).");
        new CheckpointOptions().KeepLast.Should().Be(3);
    }

    private sealed record State(long Step);
}
