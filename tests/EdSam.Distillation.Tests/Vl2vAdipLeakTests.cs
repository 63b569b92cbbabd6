using EdSam.Distillation.Students;
using EdSam.Distillation.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests;

/// <summary>Training, predicting and evaluating must not leave native tensors alive (TorchSharp's per-thread statistics).</summary>
[Collection(nameof(Vl2vAdipTrainerTests))]
public sealed class Vl2vAdipLeakTests
{
    private static long Live => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    [Fact]
    public void Fit_predict_evaluate_and_dispose_leave_no_tensors_behind()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Split();
        // One thread, so every tensor is made (and counted) on this test's thread.
        var options = TinySetup.Options(teacher) with { AlignSteps = 2, DistillSteps = 3, Workers = 1 };
        using var images = randn(3, 3, TinySetup.ImageSize, TinySetup.ImageSize);
        using (var warmUp = new Vl2vAdipTrainer(options).Fit(split)) warmUp.Predict(images).Dispose();

        // The building blocks the trainer calls once per run must not leak either.
        long dependencies = Live;
        using (StudentFactory.Create(options.Student, new StudentOptions { Seed = 1 }))
        {
        }
        _ = teacher.LogitScale;
        dependencies = Live - dependencies;
        dependencies.Should().Be(0, "creating and disposing a student, and reading the logit scale, release every tensor");

        long before = Live;
        using (var model = new Vl2vAdipTrainer(options).Fit(split))
        {
            for (int i = 0; i < 3; i++)
            {
                model.Predict(images).Dispose();
                model.PredictProba(images).Dispose();
                model.Evaluate(split.Test);
            }
        }
        (Live - before).Should().Be(0, "Fit, Predict, Evaluate and Dispose release every tensor they make");
    }
}
