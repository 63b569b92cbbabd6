using EdSam.Distillation.Heads;
using EdSam.Distillation.Students;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Students;

public class StudentDtypeTests
{
    [Theory]
    [InlineData(StudentArchitecture.TinyResNet)]
    [InlineData(StudentArchitecture.TinyVit)]
    public void A_converted_model_casts_its_input_and_computes_in_its_own_dtype(StudentArchitecture architecture)
    {
        using var student = StudentFactory.Create(architecture, new StudentOptions { Seed = 3 });
        student.eval();
        using var _ = no_grad();
        using var images = randn(2, 3, 32, 32);
        using var fp32 = student.call(images);
        student.to(ScalarType.Float64);
        using var fp64 = student.call(images);
        fp64.dtype.Should().Be(ScalarType.Float64);
        fp64.to(ScalarType.Float32).allclose(fp32, rtol: 1e-4, atol: 1e-5).Should().BeTrue();
    }

    [Fact]
    public void Text_classifier_buffer_follows_the_module_dtype()
    {
        using var classes = randn(3, 8);
        using var head = new TextClassifierHead(classes);
        head.to(ScalarType.Float64);
        head.ClassEmbeddings.dtype.Should().Be(ScalarType.Float64);
        using var z = randn(2, 8);
        using var logits = head.call(z);
        logits.dtype.Should().Be(ScalarType.Float64);
    }
}
