using EdSam.Diffusion.Models;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Models;

public class DiffusionConditionTests
{
    [Fact]
    public void DropWhere_replaces_exactly_the_masked_rows_by_the_null_condition()
    {
        using var labels = tensor(new long[] { 3, 4, 5 });
        using var text = ones(3, 2);
        using var mask = tensor(new[] { false, true, false });

        var dropped = new DiffusionCondition(labels, text).DropWhere(mask);

        dropped.ClassLabels!.data<long>().ToArray().Should().Equal(3, DiffusionCondition.NullClassLabel, 5);
        dropped.TextEmbeddings!.data<float>().ToArray().Should().Equal(1, 1, 0, 0, 1, 1);
    }

    [Fact]
    public void Unconditional_and_Concatenate_keep_the_parts_and_stack_along_the_batch()
    {
        using var labels = tensor(new long[] { 1, 0 });
        var condition = new DiffusionCondition(labels);

        var both = DiffusionCondition.Concatenate(condition.ToUnconditional(), condition);

        both.TextEmbeddings.Should().BeNull();
        both.ClassLabels!.data<long>().ToArray().Should().Equal(-1, -1, 1, 0);
        both.BatchSize.Should().Be(4);
    }

    [Fact]
    public void Mismatched_parts_are_reported()
    {
        using var labels = tensor(new long[] { 1, 0 });
        using var text = zeros(3, 4);
        FluentActions.Invoking(() => new DiffusionCondition(labels, text).BatchSize).Should().Throw<ArgumentException>().WithMessage("ClassLabels has 2 rows but TextEmbeddings has 3");
        FluentActions.Invoking(() => DiffusionCondition.Concatenate(new DiffusionCondition(labels), new DiffusionCondition(TextEmbeddings: text)))
            .Should().Throw<ArgumentException>().WithMessage("Both conditions must have the same parts*");
    }
}
