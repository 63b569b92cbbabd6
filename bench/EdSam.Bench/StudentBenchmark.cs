using EdSam.Clip;
using EdSam.Distillation.Students;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Bench;

/// <summary>Why distil: inference images/s of each student backbone against the CLIP teacher's image tower (224 px, batch 8).</summary>
internal static class StudentBenchmark
{
    private const int Batch = 8;

    public static void Run(string teacherName = "ViT-B-16")
    {
        using var images = randn(Batch, 3, 224, 224);
        using var teacher = new ClipModel(ClipConfig.Named(teacherName));
        teacher.eval();
        double teacherRate = ImagesPerSecond(x => teacher.EncodeImage(x), images);
        Console.WriteLine($"teacher CLIP {teacherName} image tower: {teacherRate,7:F2} img/s");

        foreach (var architecture in new[] { StudentArchitecture.ResNet18, StudentArchitecture.ResNet50, StudentArchitecture.VitSmall16 })
        {
            using var student = StudentFactory.Create(architecture, new StudentOptions { Seed = 0 });
            student.eval();
            double rate = ImagesPerSecond(x => student.call(x), images);
            Console.WriteLine($"student {architecture,-10} ({student.FeatureDim}-d): {rate,7:F2} img/s = {rate / teacherRate:F2}× the teacher");
        }
    }

    private static double ImagesPerSecond(Func<Tensor, Tensor> encode, Tensor images)
    {
        using var noGrad = inference_mode();
        return Batch / Timing.MedianSeconds(() => { using var scope = NewDisposeScope(); encode(images); }, warmup: 1, repeats: 3);
    }
}
