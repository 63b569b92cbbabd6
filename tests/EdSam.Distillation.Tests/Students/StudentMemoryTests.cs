using EdSam.Distillation.Heads;
using EdSam.Distillation.Students;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Students;

public class StudentMemoryTests
{
    [Theory]
    [InlineData(StudentArchitecture.TinyResNet)]
    [InlineData(StudentArchitecture.TinyVit)]
    public void Repeated_forward_passes_leave_no_live_tensors_behind(StudentArchitecture architecture)
    {
        using var student = StudentFactory.Create(architecture, new StudentOptions { Seed = 0 });
        using var align = new AlignHead(student.FeatureDim, 16);
        using var classes = randn(5, 16);
        using var classifier = new TextClassifierHead(classes);
        using var images = randn(2, 3, 32, 32);
        using var doubles = images.to(ScalarType.Float64); // converted inside forward
        for (int i = 0; i < 2; i++) classifier.call(align.call(student.call(images))).Dispose(); // warm-up

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++)
        {
            // No outer scope: only the returned tensor may escape, and it is disposed here.
            using var features = student.call(i % 2 == 0 ? images : doubles);
            using var z = align.call(features);
            using var logits = classifier.call(z);
        }
        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before);
    }
}
