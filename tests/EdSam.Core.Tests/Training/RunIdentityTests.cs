using EdSam.Training;

namespace EdSam.Tests.Training;

public sealed class RunIdentityTests
{
    private static RunIdentity Current() => new RunIdentity().Add("LearningRate", 1e-3).Add("Epochs", 10).Add("Source", "shards a.tar");

    [Fact]
    public void Same_settings_have_no_differences_and_nothing_unknown()
    {
        var saved = Current().Settings;
        Current().Differences(saved).Should().BeEmpty();
        Current().UnknownIn(saved).Should().BeEmpty();
    }

    [Fact]
    public void Numbers_are_written_the_same_in_every_culture()
    {
        var culture = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");   // decimal comma
            var german = new RunIdentity().Add("Ratio", 0.3).Add("Mean", [0.5, 0.25]).Settings;
            System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;

            german.Should().Equal(new Dictionary<string, string> { ["Ratio"] = "0.3", ["Mean"] = "0.5 0.25" });
            new RunIdentity().Add("Ratio", 0.3).Add("Mean", [0.5, 0.25]).Differences(german).Should().BeEmpty();
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public void Each_differing_setting_is_named_with_old_and_new_value_in_order()
    {
        var saved = new RunIdentity().Add("LearningRate", 2e-3).Add("Epochs", 10).Add("Source", "generated on the fly").Settings;
        Current().Differences(saved).Should().Equal("LearningRate 0.002 (now 0.001)", "Source generated on the fly (now shards a.tar)");
    }

    [Fact]
    public void Settings_an_older_checkpoint_does_not_record_are_unknown_not_different()
    {
        var older = new Dictionary<string, string> { ["Epochs"] = "5" };
        Current().Differences(older).Should().Equal("Epochs 5 (now 10)");
        Current().UnknownIn(older).Should().Equal("LearningRate", "Source");
        Current().Differences(null).Should().BeEmpty();
        Current().UnknownIn(null).Should().Equal("LearningRate", "Epochs", "Source");
    }

    [Fact]
    public void Numbers_round_trip_so_equal_doubles_compare_equal_and_close_ones_do_not()
    {
        new RunIdentity().Add("w", 0.1 + 0.2).Settings["w"].Should().Be("0.30000000000000004");
        new RunIdentity().Add("w", 0.3).Differences(new RunIdentity().Add("w", 0.1 + 0.2).Settings).Should().ContainSingle();
        new RunIdentity().Add("lr", 1e-5).Settings["lr"].Should().Be("1E-05");
    }

    [Fact]
    public void A_setting_added_twice_is_refused()
    {
        var act = () => new RunIdentity().Add("Epochs", 1).Add("Epochs", 2);
        act.Should().Throw<ArgumentException>().WithMessage("*'Epochs'*twice*");
    }
}
