using EdSam.Distillation.Heads;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Heads;

public class TextClassifierHeadTests
{
    private static double Cosine(float[] a, float[] b) =>
        a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(y => (double)y * y));

    [Fact]
    public void Logits_are_100_times_the_cosine_computed_by_hand()
    {
        float[][] classes = [[1f, 2f, 2f], [0f, -3f, 4f], [-1f, 0.5f, 0f], [2f, 2f, 2f]];
        float[][] images = [[0.3f, -0.2f, 0.9f], [5f, 1f, -1f]];
        using var classMatrix = tensor(classes.SelectMany(r => r).ToArray()).reshape(4, 3); // deliberately not normalised
        using var head = new TextClassifierHead(classMatrix);
        using var embeddings = tensor(images.SelectMany(r => r).ToArray()).reshape(2, 3);
        using var logits = head.call(embeddings);

        logits.shape.Should().Equal(2, 4);
        for (int i = 0; i < 2; i++)
            for (int c = 0; c < 4; c++)
                logits[i, c].item<float>().Should().BeApproximately((float)(100 * Cosine(images[i], classes[c])), 1e-4f, $"image {i}, class {c}");
    }

    [Fact]
    public void Class_embeddings_are_a_fixed_buffer_not_a_parameter()
    {
        using var classes = randn(5, 8);
        using var head = new TextClassifierHead(classes, scale: 50);
        head.parameters().Should().BeEmpty();
        head.state_dict().Keys.Should().BeEquivalentTo("class_embeddings");
        using var norms = head.ClassEmbeddings.norm(1);
        norms.sub(1).abs().max().item<float>().Should().BeLessThan(1e-6f);
        head.NumClasses.Should().Be(5);
        head.EmbedDim.Should().Be(8);

        using var z = randn(3, 8).requires_grad_();
        using var loss = head.call(z).sum();
        loss.backward();
        z.grad.Should().NotBeNull("gradients flow to the student embedding");
        head.ClassEmbeddings.requires_grad.Should().BeFalse();
    }

    [Fact]
    public void Rejects_bad_class_embeddings_and_inputs()
    {
        using var zeroRow = tensor(new float[] { 1, 0, 0, 0 }).reshape(2, 2);
        FluentActions.Invoking(() => new TextClassifierHead(zeroRow)).Should().Throw<ArgumentException>().WithMessage("*zero or non-finite row*");
        using var vector = randn(4);
        FluentActions.Invoking(() => new TextClassifierHead(vector)).Should().Throw<ArgumentException>().WithMessage("*[C, D]*[4]*");
        using var classes = randn(3, 4);
        FluentActions.Invoking(() => new TextClassifierHead(classes, scale: 0)).Should().Throw<ArgumentException>().WithMessage("*scale*");
        using var head = new TextClassifierHead(classes);
        using var wrong = randn(2, 5);
        head.Invoking(h => h.call(wrong)).Should().Throw<ArgumentException>().WithMessage("*[N, 4]*[2, 5]*");
    }
}
