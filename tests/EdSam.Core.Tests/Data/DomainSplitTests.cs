using EdSam.Data;
using FsCheck;
using FsCheck.Fluent;

namespace EdSam.Tests.Data;

public class DomainSplitTests
{
    private static readonly DomainDataset Dataset = DataTestFiles.Dataset(("art", 10), ("cartoon", 25), ("photo", 7), ("sketch", 13));

    private static string[] Keys(IEnumerable<Example> examples) => examples.Select(e => e.Key).ToArray();

    [Fact]
    public void Test_set_is_the_whole_held_out_domain_and_no_domain_leaks()
    {
        var split = Dataset.LeaveOneDomainOut("photo", seed: 3);

        split.TestDomain.Should().Be("photo");
        split.SourceDomains.Should().Equal("art", "cartoon", "sketch");
        Keys(split.Test).Should().Equal(Keys(Dataset.GetExamples("photo")));
        split.Train.Should().OnlyContain(e => e.Domain != "photo");
        split.Validation.Should().OnlyContain(e => e.Domain != "photo");
        Keys(split.Train).Intersect(Keys(split.Validation)).Should().BeEmpty();
        split.ClassNames.Should().Equal("a", "b", "c");
    }

    [Fact]
    public void Each_source_domain_is_held_out_80_20_and_train_plus_validation_is_the_whole_domain()
    {
        var split = Dataset.LeaveOneDomainOut("art", seed: 11);

        // round(n × 0.2): 25 → 5, 7 → 1.4 → 1, 13 → 2.6 → 3
        split.ValidationByDomain["cartoon"].Should().HaveCount(5);
        split.ValidationByDomain["photo"].Should().HaveCount(1);
        split.ValidationByDomain["sketch"].Should().HaveCount(3);
        foreach (string domain in split.SourceDomains)
        {
            Keys(split.TrainByDomain[domain].Concat(split.ValidationByDomain[domain]))
                .Should().BeEquivalentTo(Keys(Dataset.GetExamples(domain)));
            split.TrainByDomain[domain].Should().OnlyContain(e => e.Domain == domain);
        }
        split.Train.Should().HaveCount(20 + 6 + 10);
        split.Validation.Should().HaveCount(5 + 1 + 3);
    }

    [Fact]
    public void Same_seed_gives_the_same_split_and_another_seed_a_different_one()
    {
        var first = Dataset.LeaveOneDomainOut("sketch", seed: 1);
        var again = Dataset.LeaveOneDomainOut("sketch", seed: 1);
        var other = Dataset.LeaveOneDomainOut("sketch", seed: 2);

        Keys(again.Validation).Should().Equal(Keys(first.Validation));
        Keys(again.Train).Should().Equal(Keys(first.Train));
        Keys(other.Validation).Should().NotEqual(Keys(first.Validation));
    }

    [Fact]
    public void A_domain_split_does_not_depend_on_which_domain_is_held_out()
    {
        // Per-domain seeds derive from the domain's name: cartoon's holdout is the same whichever domain is tested.
        var a = Dataset.LeaveOneDomainOut("art", seed: 5);
        var b = Dataset.LeaveOneDomainOut("photo", seed: 5);
        Keys(a.ValidationByDomain["cartoon"]).Should().Equal(Keys(b.ValidationByDomain["cartoon"]));
    }

    [FsCheck.Xunit.Property(MaxTest = 50)]
    public Property Holdout_partitions_every_source_domain_for_any_seed_and_fraction(int seed, byte percent)
    {
        double fraction = (percent % 100) / 100.0;
        var split = Dataset.LeaveOneDomainOut("cartoon", seed, fraction);
        bool ok = split.SourceDomains.All(d =>
        {
            var all = Keys(Dataset.GetExamples(d));
            var train = Keys(split.TrainByDomain[d]);
            var validation = Keys(split.ValidationByDomain[d]);
            return validation.Length == (int)Math.Round(all.Length * fraction, MidpointRounding.AwayFromZero)
                && train.Length + validation.Length == all.Length
                && train.Concat(validation).Distinct().Count() == all.Length
                && train.Concat(validation).All(all.Contains);
        });
        return ok.ToProperty().Label($"seed {seed}, fraction {fraction}");
    }

    [Fact]
    public void Bad_arguments_are_rejected_with_the_reason()
    {
        Dataset.Invoking(d => d.LeaveOneDomainOut("clipart", 0)).Should().Throw<ArgumentException>().WithMessage("*Unknown test domain 'clipart'*art, cartoon, photo, sketch*");
        Dataset.Invoking(d => d.LeaveOneDomainOut("art", 0, 1.0)).Should().Throw<ArgumentOutOfRangeException>();
        DataTestFiles.Dataset(("only", 3)).Invoking(d => d.LeaveOneDomainOut("only", 0)).Should().Throw<ArgumentException>().WithMessage("*single domain*");
    }
}
