using System.Diagnostics;
using EdSam.Data;
using EdSam.Data.FashionMnist;
using EdSam.Demo;
using Spectre.Console;

// The whole ED-SAM + VL2V-ADiP story on Fashion-MNIST-DG, offline:
//   dotnet run -c Release --project samples/EdSam.Demo -- [--quick|--full] [--test-domain sketch] [--seed 0] [--out edsam-demo]
// Re-running with the same --out skips the stages that finished (delete a stage's folder to redo it).

DemoSettings settings;
try { settings = DemoSettings.Parse(args); }
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var total = Stopwatch.StartNew();
TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
var dataset = FashionMnistDg.Load(new FashionMnistDgOptions { ImageSize = settings.ImageSize, MaxPerDomain = settings.MaxPerDomain, Seed = settings.Seed });
var split = dataset.LeaveOneDomainOut(settings.TestDomain, settings.Seed);
AnsiConsole.MarkupLine($"[bold]EdSam demo[/] ({settings.Preset}): {Markup.Escape(dataset.Name)}, {settings.ImageSize} px, " +
    $"sources {Markup.Escape(string.Join(", ", split.SourceDomains))}, held out [bold]{Markup.Escape(split.TestDomain)}[/]; " +
    $"{split.Train.Count} train / {split.Validation.Count} val / {split.Test.Count} test images; output {Markup.Escape(Path.GetFullPath(settings.OutputFolder))}");

// Resuming is only sound with the settings that produced the finished stages.
string settingsPath = Path.Combine(settings.OutputFolder, "settings.json");
string settingsJson = System.Text.Json.JsonSerializer.Serialize(settings, new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
if (File.Exists(settingsPath) && File.ReadAllText(settingsPath) != settingsJson)
{
    Console.Error.WriteLine($"{Path.GetFullPath(settingsPath)} was written by a run with other settings; pass another --out (or delete that folder) instead of mixing their results.");
    return 2;
}
Directory.CreateDirectory(settings.OutputFolder);
File.WriteAllText(settingsPath, settingsJson);

var pipeline = new DemoPipeline(settings, split);
pipeline.RunAll();

var table = new Table().AddColumns("Method", $"Held-out ({split.TestDomain})", "Source validation", "Time (its stages)");
foreach (var (method, stage, costStages) in DemoReport.Methods)
{
    var result = pipeline.Results[stage];
    table.AddRow(Markup.Escape(method), DemoReport.Percent(result, $"test:{split.TestDomain}"), DemoReport.Percent(result, "val:all"),
        $"{DemoReport.Seconds(pipeline.Results, costStages):F1} s");
}
AnsiConsole.Write(table);

string report = DemoReport.Write(settings, split, pipeline.Results, pipeline.Resumed);
AnsiConsole.MarkupLine($"Report: {Markup.Escape(report)}  (total {total.Elapsed.TotalSeconds:F1} s this run)");
return 0;
