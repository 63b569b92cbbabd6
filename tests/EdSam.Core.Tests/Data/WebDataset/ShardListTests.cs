using EdSam.Data.WebDataset;
using FsCheck;
using FsCheck.Fluent;

namespace EdSam.Tests.Data.WebDataset;

public class ShardListTests
{
    [Fact]
    public void Expands_zero_padded_ranges_lists_and_their_product()
    {
        var shards = ShardList.Expand("/data/shards-{000000..000099}.tar");
        shards.Should().HaveCount(100);
        shards[0].Should().Be("/data/shards-000000.tar");
        shards[99].Should().Be("/data/shards-000099.tar");

        ShardList.Expand("{train,val}-{1..3}.tar").Should().Equal("train-1.tar", "train-2.tar", "train-3.tar", "val-1.tar", "val-2.tar", "val-3.tar");
        ShardList.Expand("x{a,b{1..2}}y").Should().Equal("xay", "xb1y", "xb2y");
        ShardList.Expand("{3..1}").Should().Equal("3", "2", "1");
        ShardList.Expand("{0..10..5}").Should().Equal("0", "5", "10");
        ShardList.Expand("{8..12}").Should().Equal("8", "9", "10", "11", "12");
        ShardList.Expand("plain.tar").Should().Equal("plain.tar");
        ShardList.Expand("{x}-{1..2}").Should().Equal("{x}-1", "{x}-2");
    }

    [Theory]
    [InlineData("a{1..3.tar")]
    [InlineData("a1..3}.tar")]
    [InlineData("a{x..3}.tar")]
    public void Malformed_patterns_are_FormatExceptions_quoting_the_pattern(string pattern)
    {
        var act = () => ShardList.Expand(pattern);
        act.Should().Throw<FormatException>().WithMessage($"*{pattern}*");
    }

    [FsCheck.Xunit.Property(MaxTest = 100)]
    public Property Range_expansion_has_the_right_count_order_and_padding(byte a, byte b, bool pad)
    {
        int width = pad ? 6 : 0;
        string Format(int v) => v.ToString(pad ? "D6" : "D");
        var shards = ShardList.Expand($"s-{{{Format(a)}..{Format(b)}}}.tar");
        int step = a <= b ? 1 : -1;
        var expected = Enumerable.Range(0, Math.Abs(b - a) + 1).Select(i => $"s-{(a + step * i).ToString(pad ? "D6" : "D")}.tar").ToArray();
        bool ok = shards.Count == Math.Abs(b - a) + 1 && shards.SequenceEqual(expected)
            && (!pad || shards.All(s => s.Length == "s-.tar".Length + width));
        return ok.ToProperty().Label($"{a}..{b} pad {pad}");
    }

    [FsCheck.Xunit.Property(MaxTest = 100)]
    public Property List_times_range_expansion_counts_multiply_with_the_left_group_slowest(PositiveInt listSize, PositiveInt rangeSize)
    {
        int n = (listSize.Get - 1) % 6 + 2, m = (rangeSize.Get - 1) % 20 + 1;
        var items = Enumerable.Range(0, n).Select(i => "p" + i).ToArray();
        var shards = ShardList.Expand($"{{{string.Join(",", items)}}}/{{1..{m}}}.tar");
        var expected = items.SelectMany(item => Enumerable.Range(1, m).Select(k => $"{item}/{k}.tar"));
        return (shards.Count == n * m && shards.SequenceEqual(expected)).ToProperty();
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property Worker_shares_cover_every_shard_exactly_once_in_order(byte shardCount, PositiveInt workers)
    {
        int count = (workers.Get - 1) % 17 + 1;
        var shards = Enumerable.Range(0, shardCount).Select(i => $"{i:D6}.tar").ToArray();
        var shares = Enumerable.Range(0, count).Select(w => ShardList.ForWorker(shards, w, count)).ToArray();

        var all = shares.SelectMany(s => s).ToArray();
        bool coverOnce = all.Length == shards.Length && all.Distinct().Count() == shards.Length;
        bool ordered = shares.All(s => s.SequenceEqual(s.Order(StringComparer.Ordinal)));
        bool balanced = shares.Max(s => s.Count) - shares.Min(s => s.Count) <= 1;
        bool modulo = shares.Select((s, w) => s.All(name => int.Parse(name[..6]) % count == w)).All(x => x);
        return (coverOnce && ordered && balanced && modulo).ToProperty().Label($"{shardCount} shards, {count} workers");
    }

    [Fact]
    public void Worker_index_outside_the_count_is_rejected()
    {
        var act = () => ShardList.ForWorker(["a"], 3, 3);
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 3)*");
    }
}
