using EdSam.Data.Augmentation;
using EdSam.Distillation.Baselines;
using EdSam.Distillation.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Baselines;

public sealed class ClipZeroShotBaselineTests
{
    [Fact]
    public void Accuracy_counts_the_teacher_argmax_of_cosine_against_the_text_classifier()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Split();
        var result = ClipZeroShotBaseline.Evaluate(teacher, TinySetup.Tokenize, split.ClassNames, split.Test, batchSize: 5);

        // Independent: preprocess each image alone, embed, compare with the normalised class embeddings by hand.
        using var head = TextClassifier.Create(teacher, TinySetup.Tokenize, split.ClassNames, [TextClassifier.PhotoTemplate]);
        var evaluation = new Compose(new Resize(TinySetup.ImageSize), new CenterCrop(TinySetup.ImageSize), Normalize.Clip);
        int right = 0;
        using (no_grad())
        {
            foreach (var example in split.Test)
            {
                using var scope = NewDisposeScope();
                var image = evaluation.Apply(example.Image.Load(), new Random(0)).unsqueeze(0);
                var embedding = teacher.EncodeImage(image);
                var scores = embedding.div(embedding.norm()).matmul(head.ClassEmbeddings.t());
                if (scores.argmax(-1).item<long>() == example.Label) right++;
            }
        }
        result.Count.Should().Be(split.Test.Count);
        result.Accuracy.Should().BeApproximately((double)right / split.Test.Count, 1e-12);
        result.AccuracyByDomain.Should().ContainKey("sketch");
    }
}
