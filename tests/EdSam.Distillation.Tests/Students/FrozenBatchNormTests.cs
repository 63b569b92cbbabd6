using EdSam.Distillation.Students;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Students;

public class FrozenBatchNormTests
{
    private static Dictionary<string, Tensor> RunningStats(nn.Module model) => model.state_dict()
        .Where(e => e.Key.Contains("running_") || e.Key.EndsWith("num_batches_tracked"))
        .ToDictionary(e => e.Key, e => e.Value.clone());

    [Fact]
    public void Frozen_batchnorm_keeps_running_stats_in_training_mode()
    {
        using var model = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 1 });
        model.FreezeBatchNorm();
        model.train();
        var before = RunningStats(model);
        using (var images = randn(4, 3, 32, 32).mul_(3).add_(2))
        using (var loss = model.call(images).sum())
            loss.backward();

        foreach (var (key, value) in RunningStats(model))
            value.allclose(before[key], rtol: 0, atol: 0).Should().BeTrue($"{key} must not change while BatchNorm is frozen");
        model.modules().OfType<BatchNorm>().Should().OnlyContain(bn => !bn.training);
        model.named_parameters().Where(p => p.name.Contains("bn") || p.name.Contains("downsample.1"))
            .Should().OnlyContain(p => !p.parameter.requires_grad && ReferenceEquals(p.parameter.grad, null));
        model.named_parameters().Single(p => p.name == "conv1.weight").parameter.grad.Should().NotBeNull("convolutions still train");
    }

    [Fact]
    public void Unfrozen_batchnorm_updates_running_stats_in_training_mode()
    {
        using var model = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 1 });
        model.train();
        var before = RunningStats(model);
        using (var _ = no_grad())
        using (var images = randn(4, 3, 32, 32).mul_(3).add_(2))
            model.call(images).Dispose();
        RunningStats(model)["bn1.running_mean"].allclose(before["bn1.running_mean"], rtol: 0, atol: 0).Should().BeFalse();
    }

    [Fact]
    public void Freeze_survives_eval_then_train_and_can_be_undone()
    {
        using var model = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { FreezeBatchNorm = true });
        model.BatchNormFrozen.Should().BeTrue();
        model.eval();
        model.train();
        model.modules().OfType<BatchNorm>().Should().OnlyContain(bn => !bn.training);

        model.UnfreezeBatchNorm();
        model.modules().OfType<BatchNorm>().Should().OnlyContain(bn => bn.training);
        model.parameters().Should().OnlyContain(p => p.requires_grad);
    }
}
