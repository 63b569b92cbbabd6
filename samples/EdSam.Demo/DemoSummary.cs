using System.Globalization;
using Spectre.Console;

namespace EdSam.Demo;

/// <summary>Paired difference of two methods over folds: mean and standard error (accuracy, not percent), wins and losses.</summary>
internal sealed record PairedDifference(double Mean, double StandardError, int Wins, int Losses, int Folds);

/// <summary>A method's held-out accuracy per domain (mean and standard deviation over seeds) and its mean over domains.</summary>
internal sealed record MethodSummary(string Method, string Stage, IReadOnlyDictionary<string, IReadOnlyList<double>> HeldOut,
    IReadOnlyList<double> SourceValidation, double Seconds)
{
    /// <summary>Mean held-out accuracy over every fold (each domain weighs the same when every domain has the same seeds).</summary>
    public double MeanHeldOut => HeldOut.Values.SelectMany(v => v).DefaultIfEmpty(double.NaN).Average();

    /// <summary>"30.0 ± 1.8": the mean held-out accuracy in percent, ± <see cref="SeedSpread"/> when there are several seeds.</summary>
    public string MeanText => DemoSummary.Pct(MeanHeldOut) + (SeedSpread > 0 ? $" ± {DemoSummary.Pct(SeedSpread)}" : "");

    /// <summary>Standard deviation over seeds of the per-seed mean over domains (the spread of the number a run reports).</summary>
    public double SeedSpread
    {
        get
        {
            int seeds = HeldOut.Values.Select(v => v.Count).DefaultIfEmpty(0).Min();
            var perSeed = Enumerable.Range(0, seeds).Select(s => HeldOut.Values.Average(v => v[s])).ToArray();
            return DemoSummary.StandardDeviation(perSeed);
        }
    }
}

/// <summary>Aggregates the folds into one row per method.</summary>
internal static class DemoSummary
{
    /// <summary>Each method and the stage holding its accuracies.</summary>
    public static readonly (string Method, string Stage)[] Methods =
    [
        ("CLIP, source data only (zero-shot)", "3-clip"),
        ("CLIP + ED-SAM samples (zero-shot)", "4-edsam"),
        ("ERM student (TinyResNet)", "5-erm"),
        ("KD student (TinyResNet)", "6-kd"),
        ("VL2V-ADiP student (TinyResNet)", "7-vl2v-adip"),
    ];

    public static IReadOnlyList<MethodSummary> From(IReadOnlyList<FoldRun> runs) =>
        Methods.Select(m =>
        {
            var heldOut = runs.GroupBy(r => r.Domain).ToDictionary(g => g.Key,
                g => (IReadOnlyList<double>)g.OrderBy(r => r.Seed).Select(r => r.Results[m.Stage].Accuracy[$"test:{r.Domain}"]).ToArray());
            var validation = runs.Select(r => r.Results[m.Stage].Accuracy["val:all"]).ToArray();
            return new MethodSummary(m.Method, m.Stage, heldOut, validation, runs.Sum(r => r.Results[m.Stage].Seconds));
        }).ToArray();

    /// <summary>
    /// Fold-by-fold comparison of two methods evaluated on the same held-out images: the mean of
    /// (<paramref name="method"/> − <paramref name="reference"/>) in accuracy, its standard error over folds, and on
    /// how many folds the method was strictly better / worse.
    /// </summary>
    public static PairedDifference Paired(IReadOnlyList<FoldRun> runs, string method, string reference)
    {
        var differences = runs.Select(r => r.Results[method].Accuracy[$"test:{r.Domain}"] - r.Results[reference].Accuracy[$"test:{r.Domain}"]).ToArray();
        double mean = differences.DefaultIfEmpty(double.NaN).Average();
        double standardError = differences.Length > 1 ? StandardDeviation(differences) / Math.Sqrt(differences.Length) : double.NaN;
        return new PairedDifference(mean, standardError, differences.Count(d => d > 0), differences.Count(d => d < 0), differences.Length);
    }

    /// <summary>The comparisons the two papers' claims are about: ED-SAM against the same CLIP run without x*,
    /// and VL2V-ADiP against each baseline student.</summary>
    public static readonly (string Method, string Reference, string Claim)[] Claims =
    [
        ("4-edsam", "3-clip", "CLIP + ED-SAM samples − CLIP without them"),
        ("7-vl2v-adip", "5-erm", "VL2V-ADiP student − ERM student"),
        ("7-vl2v-adip", "6-kd", "VL2V-ADiP student − KD student"),
    ];

    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    /// <summary>"72.3" or "72.3 ± 1.2" (percent; ± the standard deviation over seeds when there are several).</summary>
    public static string Cell(IReadOnlyList<double> values) =>
        values.Count == 0 ? "–"
        : values.Count == 1 ? Pct(values[0])
        : $"{Pct(values.Average())} ± {Pct(StandardDeviation(values))}";

    public static string Pct(double value) => (100 * value).ToString("F1", CultureInfo.InvariantCulture);

    public static Table Table(IReadOnlyList<MethodSummary> summary, IReadOnlyList<string> domains)
    {
        var table = new Table().AddColumn("Method");
        foreach (var domain in domains) table.AddColumn(Markup.Escape(domain));
        table.AddColumns("Mean held-out", "Source val");
        foreach (var row in summary)
        {
            var cells = new List<string> { Markup.Escape(row.Method) };
            cells.AddRange(domains.Select(d => row.HeldOut.TryGetValue(d, out var v) ? Cell(v) : "–"));
            cells.Add(row.MeanText);
            cells.Add(Pct(row.SourceValidation.Average()));
            table.AddRow(cells.ToArray());
        }
        return table;
    }
}
