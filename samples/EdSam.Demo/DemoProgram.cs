using System.Diagnostics;
using EdSam.Data;
using EdSam.Data.FashionMnist;
using Spectre.Console;

namespace EdSam.Demo;

/// <summary>What one run of the demo did: its exit code (0 done, 2 bad input or a conflicting output folder), and when
/// it ran, every fold, the summary table and the report's path.</summary>
internal sealed record DemoOutcome(int ExitCode, IReadOnlyList<FoldRun> Runs, IReadOnlyList<MethodSummary> Summary, string? Report)
{
    public static DemoOutcome Refused => new(2, [], [], null);
}

/// <summary>The demo's program: parse the command line, check a given CLIP, run every fold, write the report.</summary>
internal static class DemoProgram
{
    /// <summary>Runs the command line; returns the process exit code.</summary>
    public static int RunCommandLine(string[] args, TextWriter error)
    {
        DemoSettings settings;
        try { settings = DemoSettings.Parse(args); }
        catch (ArgumentException e)
        {
            error.WriteLine(e.Message);
            return 2;
        }
        return Run(settings, error).ExitCode;
    }

    /// <summary>Runs every fold of <paramref name="settings"/> (resuming finished stages) and writes the report.</summary>
    /// <param name="settings">The run.</param>
    /// <param name="error">Where bad input and folder conflicts are reported (exit code 2).</param>
    public static DemoOutcome Run(DemoSettings settings, TextWriter error)
    {
        PretrainedClip? pretrained = null;
        if (settings.Clip is { } given)
        {
            try { pretrained = PretrainedClip.Open(given); }
            catch (ArgumentException e)
            {
                error.WriteLine(e.Message);
                return DemoOutcome.Refused;
            }
            settings = pretrained.Apply(settings);
        }

        // Spectre assumes 80 columns when the output is a file or a pipe, where the run's header and the six-domain
        // table would wrap into an unreadable log; give them the width they need.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 200);
        var total = Stopwatch.StartNew();
        TorchSharp.torch.set_num_threads(settings.Threads);
        var folds = settings.Folds().ToArray();
        AnsiConsole.MarkupLine(Markup.Escape($"EdSam demo ({settings.Preset}): Fashion-MNIST-DG at {settings.ImageSize} px, ≤ {settings.MaxPerDomain} images per domain; " +
            $"{folds.Length} fold(s): held out {string.Join(", ", settings.TestDomains)} × seed {string.Join(", ", settings.Seeds)}; output {Path.GetFullPath(settings.OutputFolder)}" +
            (pretrained is null ? "" : $"; CLIP fine-tuned from {pretrained.Record.Weights}")));

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
                    error.WriteLine(conflict);
                    return DemoOutcome.Refused with { Runs = runs };
                }
                var pipeline = new DemoPipeline(settings, split, seed, folder, pretrained);
                pipeline.RunAll();
                runs.Add(new FoldRun(domain, seed, folder, split.Train.Count, split.Validation.Count, split.Test.Count, pipeline.Results, pipeline.Resumed));
            }
        }

        var summary = DemoSummary.From(runs);
        AnsiConsole.Write(DemoSummary.Table(summary, settings.TestDomains));
        string report = DemoReport.Write(settings, summary, runs);
        AnsiConsole.MarkupLine(Markup.Escape($"Report: {report}  (total {total.Elapsed.TotalSeconds:F1} s this run)"));
        return new DemoOutcome(0, runs, summary, report);
    }
}
