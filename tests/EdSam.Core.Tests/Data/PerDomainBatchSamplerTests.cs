using EdSam.Data;

namespace EdSam.Tests.Data;

public class PerDomainBatchSamplerTests
{
    private static readonly DomainDataset Dataset = DataTestFiles.Dataset(("art", 12), ("cartoon", 5), ("photo", 9), ("sketch", 8));

    [Fact]
    public void Every_step_has_n_examples_from_each_source_domain_in_domain_order()
    {
        var split = Dataset.LeaveOneDomainOut("sketch", seed: 0, holdoutFraction: 0);
        var sampler = PerDomainBatchSampler.ForTraining(split, perDomain: 4, seed: 7);

        foreach (var step in sampler.Take(20))
        {
            step.Should().HaveCount(3);
            for (int d = 0; d < 3; d++)
            {
                step[d].Should().HaveCount(4);
                step[d].Should().OnlyContain(e => e.Domain == split.SourceDomains[d]);
            }
        }
    }

    [Fact]
    public void Each_pass_over_a_domain_visits_every_example_once_then_reshuffles()
    {
        var domains = new IReadOnlyList<Example>[] { Dataset.GetExamples("art") };   // 12 examples, 3 per step
        var drawn = new PerDomainBatchSampler(domains, perDomain: 3, seed: 1).Take(8).SelectMany(s => s[0]).Select(e => e.Key).ToArray();

        var keys = domains[0].Select(e => e.Key).ToArray();
        drawn.Take(12).Should().BeEquivalentTo(keys, "the first pass is a permutation");
        drawn.Skip(12).Take(12).Should().BeEquivalentTo(keys, "the second pass too");
        drawn.Take(12).Should().NotEqual(drawn.Skip(12).Take(12), "the second pass is reshuffled");
    }

    [Fact]
    public void Small_domains_wrap_into_a_new_pass_and_the_sequence_is_seeded()
    {
        var domains = new IReadOnlyList<Example>[] { Dataset.GetExamples("cartoon"), Dataset.GetExamples("photo") };
        var first = new PerDomainBatchSampler(domains, 8, seed: 3).Take(5).Select(s => string.Join(",", s.SelectMany(b => b).Select(e => e.Key))).ToArray();
        var again = new PerDomainBatchSampler(domains, 8, seed: 3).Take(5).Select(s => string.Join(",", s.SelectMany(b => b).Select(e => e.Key))).ToArray();
        var other = new PerDomainBatchSampler(domains, 8, seed: 4).Take(5).Select(s => string.Join(",", s.SelectMany(b => b).Select(e => e.Key))).ToArray();

        again.Should().Equal(first);
        other.Should().NotEqual(first);
        first.Should().OnlyContain(s => s.Split(',').Length == 16);
    }

    [Fact]
    public void Empty_domains_and_bad_sizes_are_rejected()
    {
        var act = () => new PerDomainBatchSampler([Dataset.GetExamples("art"), Array.Empty<Example>()], 2, 0);
        act.Should().Throw<ArgumentException>().WithMessage("*Domain #1 has no examples*");
        var zero = () => new PerDomainBatchSampler([Dataset.GetExamples("art")], 0, 0);
        zero.Should().Throw<ArgumentOutOfRangeException>();
    }
}
