using System.Diagnostics;
using EdSam.Data;
using EdSam.Data.FashionMnist;
using EdSam.Demo;
using Spectre.Console;

// The whole ED-SAM + VL2V-ADiP story on Fashion-MNIST-DG, offline, leave-one-domain-out:
//   dotnet run -c Release --project samples/EdSam.Demo -- [--quick|--full] [--test-domain sketch] [--seed 0] [--out edsam-demo]
// Re-running with the same --out skips the stages that finished (delete a stage's folder to redo it).

DemoSettings settings;
try { settings = DemoSettings.Parse(args); }
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var total = Stopwatch.StartNew();
TorchSharp.torch.set_num_threads(settings.Threads);
var folds = settings.Folds().ToArray();
AnsiConsole.MarkupLine(Markup.Escape($"EdSam demo ({settings.Preset}): Fashion-MNIST-DG at {settings.ImageSize} px, ≤ {settings.MaxPerDomain} images per domain; " +
    $"{folds.Length} fold(s): held out {string.Join(", ", settings.TestDomains)} × seed {string.Join(", ", settings.Seeds)}; output {Path.GetFullPath(settings.OutputFolder)}"));

var runs = new List<FoldRun>();
foreach (var group in folds.GroupBy(f => f.Seed))
{
    // The seed also draws which images of each domain are used, so each seed loads its own subset.
    var dataset = FashionMnistDg.Load(new FashionMnistDgOptions { ImageSize = settings.ImageSize, MaxPerDomain = settings.MaxPerDomain, Seed = group.Key });
    foreach (var (domain, seed) in group)
    {
        var split = dataset.LeaveOneDomainOut(domain, seed);
        string folder = settings.FoldFolder(domain, seed);
        if (!FoldRecord.Claim(folder, settings, domain, seed, out string? conflict))
        {
            Console.Error.WriteLine(conflict);
            return 2;
        }
        var pipeline = new DemoPipeline(settings, split, seed, folder);
        pipeline.RunAll();
        runs.Add(new FoldRun(domain, seed, folder, split.Train.Count, split.Validation.Count, split.Test.Count, pipeline.Results, pipeline.Resumed));
    }
}

var summary = DemoSummary.From(runs);
AnsiConsole.Write(DemoSummary.Table(summary, settings.TestDomains));
string report = DemoReport.Write(settings, summary, runs);
AnsiConsole.MarkupLine(Markup.Escape($"Report: {report}  (total {total.Elapsed.TotalSeconds:F1} s this run)"));
return 0;
