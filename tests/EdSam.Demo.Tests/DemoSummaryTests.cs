namespace EdSam.Demo.Tests;

public class DemoSummaryTests
{
    // Held-out accuracy of stage 3-clip per (domain, seed); every other stage scores 0.25 everywhere.
    private static readonly Dictionary<(string Domain, int Seed), double> Clip = new()
    {
        [("photo", 0)] = 0.5, [("photo", 1)] = 0.7, [("sketch", 0)] = 0.2, [("sketch", 1)] = 0.4,
    };

    private static readonly Dictionary<(string Domain, int Seed), double> Validation = new()
    {
        [("photo", 0)] = 0.8, [("photo", 1)] = 0.6, [("sketch", 0)] = 0.9, [("sketch", 1)] = 0.7,
    };

    private static FoldRun Run(string domain, int seed)
    {
        var results = DemoSummary.Methods.ToDictionary(m => m.Stage, m => new StageResult
        {
            Stage = m.Stage, Seconds = 10,
            Accuracy = new() { [$"test:{domain}"] = m.Stage == "3-clip" ? Clip[(domain, seed)] : 0.25, ["val:all"] = Validation[(domain, seed)] },
        });
        results["1-diffusion"] = new StageResult { Stage = "1-diffusion", Seconds = 30 };
        return new FoldRun(domain, seed, $"/out/{domain}/seed-{seed}", 40, 10, 12, results, new HashSet<string>());
    }

    // Out of seed order on purpose: the per-seed columns must still line up.
    private static readonly FoldRun[] Runs = [Run("sketch", 1), Run("photo", 0), Run("photo", 1), Run("sketch", 0)];

    [Fact]
    public void Mean_and_standard_deviation_over_seeds_per_domain()
    {
        var clip = DemoSummary.From(Runs).Single(m => m.Stage == "3-clip");

        clip.Method.Should().Be("CLIP, source data only (zero-shot)");
        clip.HeldOut["photo"].Should().Equal(0.5, 0.7);
        clip.HeldOut["sketch"].Should().Equal(0.2, 0.4);
        clip.MeanHeldOut.Should().BeApproximately((0.5 + 0.7 + 0.2 + 0.4) / 4, 1e-12);
        // Per-seed means over domains: 0.35 (seed 0) and 0.55 (seed 1); sample standard deviation |0.55 − 0.35| / √2.
        clip.SeedSpread.Should().BeApproximately(0.2 / Math.Sqrt(2), 1e-12);
        clip.SourceValidation.Average().Should().BeApproximately(0.75, 1e-12);
        clip.Seconds.Should().Be(40);
    }

    [Fact]
    public void A_method_scoring_the_same_on_every_seed_has_no_spread()
    {
        var erm = DemoSummary.From(Runs).Single(m => m.Stage == "5-erm");

        erm.MeanHeldOut.Should().Be(0.25);
        erm.SeedSpread.Should().Be(0);
    }

    [Fact]
    public void Standard_deviation_is_the_sample_one()
    {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32, sample variance 32 / 7.
        DemoSummary.StandardDeviation([2, 4, 4, 4, 5, 5, 7, 9]).Should().BeApproximately(Math.Sqrt(32.0 / 7), 1e-12);
        DemoSummary.StandardDeviation([0.3]).Should().Be(0);
        DemoSummary.StandardDeviation([]).Should().Be(0);
    }

    [Fact]
    public void Cells_show_percent_with_the_spread_only_for_several_seeds()
    {
        DemoSummary.Cell([0.5, 0.7]).Should().Be("60.0 ± 14.1");
        DemoSummary.Cell([0.1234]).Should().Be("12.3");
        DemoSummary.Cell([]).Should().Be("–");
    }

    [Fact]
    public void Markdown_table_has_a_column_per_domain_and_a_row_per_method()
    {
        var settings = DemoSettings.Default with { TestDomains = ["photo", "sketch"], Seeds = [0, 1] };

        var lines = DemoReport.Markdown(settings, DemoSummary.From(Runs), Runs).Split('\n', StringSplitOptions.TrimEntries);

        lines[0].Should().StartWith("Held-out accuracy (%)").And.Contain("preset `default` (24 px, ≤ 300 images per domain), seeds 0, 1;");
        lines[0].Should().NotContain("fine-tuned", "no CLIP weights were given");
        lines[1].Should().BeEmpty();
        lines[2].Should().Be("| Method | photo | sketch | **Mean held-out** | Source val | Wall time |");
        lines[3].Should().Be("|---|---|---|---|---|---|");
        lines[4].Should().Be("| CLIP, source data only (zero-shot) | 60.0 ± 14.1 | 30.0 ± 14.1 | **45.0 ± 14.1** | 75.0 | 0.7 min |");
        lines[5].Should().Be("| CLIP + ED-SAM samples (zero-shot) | 25.0 ± 0.0 | 25.0 ± 0.0 | **25.0** | 75.0 | 0.7 min |");
        lines.Skip(4).Take(5).Select(l => l.Split('|')[1].Trim()).Should().Equal(
            "CLIP, source data only (zero-shot)", "CLIP + ED-SAM samples (zero-shot)", "ERM student (TinyResNet)", "KD student (TinyResNet)", "VL2V-ADiP student (TinyResNet)");
        lines.Skip(2).Take(7).Should().OnlyContain(l => l.Count(c => c == '|') == 7);
        lines[9].Should().BeEmpty();
        // ED-SAM − CLIP per fold: 0.25 − {0.5, 0.7, 0.2, 0.4} = {−0.25, −0.45, +0.05, −0.15}: mean −0.20, sample
        // standard deviation √(0.13 / 3), standard error that / 2 = 0.104.
        lines.Should().Contain("- CLIP + ED-SAM samples − CLIP without them: **−20.0** ± 10.4 points; better on 1 of 4 folds, worse on 3.");
        lines.Should().Contain("- VL2V-ADiP student − ERM student: **+0.0** ± 0.0 points; better on 0 of 4 folds, worse on 0.");
        lines.Should().Contain("| photo | 0 | 50.0 | 25.0 | 25.0 | 25.0 | 25.0 | 80.0 s |", "the per-fold table lists every fold's accuracies");
        // 4 folds × (5 methods × 10 s + 30 s diffusion) = 320 s; diffusion alone 120 s.
        lines.Single(l => l.StartsWith("Wall time:", StringComparison.Ordinal)).Should().StartWith("Wall time: 5.3 min of stage time over 4 folds (diffusion models 2.0 min")
            .And.EndWith("Each fold: 40 training, 10 source-validation and 12 held-out images.");
    }

    [Fact]
    public void Paired_difference_counts_wins_and_losses_fold_by_fold()
    {
        var paired = DemoSummary.Paired(Runs, "4-edsam", "3-clip");

        paired.Mean.Should().BeApproximately(-0.2, 1e-12);
        paired.StandardError.Should().BeApproximately(Math.Sqrt(0.13 / 3) / 2, 1e-12);
        (paired.Wins, paired.Losses, paired.Folds).Should().Be((1, 3, 4));
    }
}
