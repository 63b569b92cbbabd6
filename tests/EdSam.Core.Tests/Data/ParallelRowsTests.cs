using System.Collections.Concurrent;
using EdSam.Data;
using static TorchSharp.torch;

namespace EdSam.Tests.Data;

public sealed class ParallelRowsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Stacks_the_rows_in_order_and_disposes_them_whatever_the_thread_count(int workers)
    {
        var made = new ConcurrentBag<Tensor>();
        Tensor Row(int i)
        {
            var row = full(new long[] { 2, 2 }, (float)i);
            made.Add(row);
            return row;
        }

        using var batch = ParallelRows.Stack(7, Row, workers);

        batch.shape.Should().Equal(7, 2, 2);
        batch.select(1, 0).select(1, 0).data<float>().ToArray().Should().Equal(0f, 1f, 2f, 3f, 4f, 5f, 6f);
        made.Should().HaveCount(7).And.OnlyContain(row => row.IsInvalid, "the rows are disposed once stacked");
    }

    [Fact]
    public void A_row_failure_is_rethrown_as_it_was_and_the_other_rows_are_disposed()
    {
        var made = new ConcurrentBag<Tensor>();
        Tensor Row(int i)
        {
            if (i == 4) throw new FileNotFoundException("row 4's image is missing", "4.png");
            var row = zeros(3);
            made.Add(row);
            return row;
        }

        var act = () => ParallelRows.Stack(6, Row, workers: 2);

        act.Should().Throw<FileNotFoundException>().WithMessage("row 4's image is missing");
        made.Should().OnlyContain(row => row.IsInvalid);
    }
}
