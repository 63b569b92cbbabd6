using System.Globalization;
using System.Net;
using System.Text;
using EdSam.Data;
using EdSam.Imaging;
using static TorchSharp.torch;

namespace EdSam.Demo;

/// <summary>Writes <c>report/index.html</c> (self-contained apart from the PNGs beside it), the loss plot and a copy of the transport grid.</summary>
internal static class DemoReport
{
    /// <summary>Each method, the stage holding its accuracies, and the stages whose time it costs (ED-SAM needs the diffusion model).</summary>
    public static readonly (string Method, string Stage, string[] CostStages)[] Methods =
    [
        ("CLIP trained on source captions (zero-shot)", "2-zero-shot", ["1-clip", "2-zero-shot"]),
        ("ED-SAM fine-tuned CLIP", "5-edsam", ["3-diffusion", "4-transport", "5-edsam"]),
        ("VL2V-ADiP TinyResNet student", "6-distill", ["6-distill"]),
    ];

    public static double Seconds(IReadOnlyDictionary<string, StageResult> results, IEnumerable<string> stages) =>
        stages.Sum(s => results.TryGetValue(s, out var r) ? r.Seconds : 0);

    // One colour per loss curve (RGB in [0, 1]); the HTML legend names them.
    private static readonly (string Stage, string Name, float R, float G, float B)[] Curves =
    [
        ("1-clip", "CLIP training loss", 0.1f, 0.3f, 0.9f),
        ("3-diffusion", "diffusion loss", 0.9f, 0.5f, 0.1f),
        ("5-edsam", "ED-SAM loss", 0.1f, 0.7f, 0.2f),
    ];

    public static string Percent(StageResult result, string key) =>
        result.Accuracy.TryGetValue(key, out double value) ? value.ToString("P1", CultureInfo.InvariantCulture) : "–";

    public static string Write(DemoSettings settings, DomainSplit split, IReadOnlyDictionary<string, StageResult> results, IReadOnlySet<string> resumed)
    {
        string folder = Path.Combine(settings.OutputFolder, "report");
        Directory.CreateDirectory(folder);
        SaveLossPlot(Path.Combine(folder, "loss.png"), results);
        string grid = Path.Combine(settings.OutputFolder, "4-transport", "transport-grid.png");
        if (File.Exists(grid)) File.Copy(grid, Path.Combine(folder, "transport-grid.png"), overwrite: true);

        static string E(string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>EdSam demo</title><style>")
            .Append("body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}")
            .Append("img{image-rendering:pixelated;border:1px solid #ccc}</style></head><body>");
        html.Append($"<h1>EdSam demo — Fashion-MNIST-DG, held-out domain “{E(split.TestDomain)}”</h1>");
        html.Append($"<p>Preset <b>{E(settings.Preset)}</b>, {settings.ImageSize} px, at most {settings.MaxPerDomain} images per domain, seed {settings.Seed}. ")
            .Append($"Sources: {E(string.Join(", ", split.SourceDomains))}; {split.Train.Count} training, {split.Validation.Count} validation, {split.Test.Count} test images. ")
            .Append("All numbers below were measured by this demo's runs; a stage marked “resumed” was computed by an earlier run into the same folder (same settings).</p>");
        html.Append($"<h2>Accuracy</h2><table><tr><th>Method</th><th>Held-out ({E(split.TestDomain)})</th><th>Source validation</th><th>Wall time of its stages</th></tr>");
        foreach (var (method, stage, costStages) in Methods)
            if (results.TryGetValue(stage, out var r))
                html.Append($"<tr><td>{E(method)}</td><td>{Percent(r, $"test:{split.TestDomain}")}</td><td>{Percent(r, "val:all")}</td>")
                    .Append($"<td>{Seconds(results, costStages).ToString("F1", CultureInfo.InvariantCulture)} s ({E(string.Join(" + ", costStages))})</td></tr>");
        html.Append("</table><h2>Stages</h2><table><tr><th>Stage</th><th>Wall time</th><th>Accuracies</th><th>Notes</th></tr>");
        foreach (var (stage, r) in results.OrderBy(p => p.Key, StringComparer.Ordinal))
            html.Append($"<tr><td>{E(stage)}{(resumed.Contains(stage) ? " (resumed)" : "")}</td><td>{r.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s</td><td>")
                .Append(E(string.Join(", ", r.Accuracy.Select(p => $"{p.Key} {p.Value.ToString("P1", CultureInfo.InvariantCulture)}"))))
                .Append($"</td><td>{E(r.Note ?? "")}</td></tr>");
        html.Append("</table><h2>Training losses</h2><img src=\"loss.png\" width=\"640\"><p>Each curve is scaled to its own range (min at the bottom, max at the top) over its steps: ")
            .Append(string.Join(", ", Curves.Select(c => $"<span style=\"color:rgb({(int)(c.R * 255)},{(int)(c.G * 255)},{(int)(c.B * 255)})\">{E(c.Name)}</span>"))).Append(".</p>");
        html.Append("<h2>Transported samples</h2><img src=\"transport-grid.png\" width=\"480\"><p>Each row: a source image, then its transported samples x*. ")
            .Append($"The UNet was trained for {settings.DiffusionSteps} steps on {split.Train.Count} images; with few steps (the quick preset) it is far from converged ")
            .Append("and x* look mostly like noise, so the ED-SAM row then shows the pipeline working rather than the method's benefit.</p>");
        html.Append("</body></html>");
        string path = Path.Combine(folder, "index.html");
        File.WriteAllText(path + ".tmp", html.ToString());
        File.Move(path + ".tmp", path, overwrite: true);
        return Path.GetFullPath(path);
    }

    /// <summary>Line plot of each loss curve, normalised to its own range, with axes; drawn into a float RGB buffer.</summary>
    private static void SaveLossPlot(string path, IReadOnlyDictionary<string, StageResult> results)
    {
        const int width = 640, height = 360, margin = 30;
        var pixels = new float[3 * width * height];
        Array.Fill(pixels, 1f);
        void Set(int x, int y, float r, float g, float b)
        {
            if (x < 0 || x >= width || y < 0 || y >= height) return;
            pixels[y * width + x] = r;
            pixels[width * height + y * width + x] = g;
            pixels[2 * width * height + y * width + x] = b;
        }
        for (int x = margin; x < width - margin / 2; x++) Set(x, height - margin, 0, 0, 0);
        for (int y = margin / 2; y <= height - margin; y++) Set(margin, y, 0, 0, 0);

        foreach (var curve in Curves)
        {
            if (!results.TryGetValue(curve.Stage, out var r) || r.Losses.Count < 2) continue;
            double min = r.Losses.Min(), max = r.Losses.Max(), range = Math.Max(max - min, 1e-12);
            (int X, int Y) Point(int i) => (
                margin + 1 + (int)Math.Round((double)i / (r.Losses.Count - 1) * (width - 1.5 * margin - 2)),
                height - margin - 1 - (int)Math.Round((r.Losses[i] - min) / range * (height - 1.5 * margin - 2)));
            for (int i = 1; i < r.Losses.Count; i++)
            {
                var (x0, y0) = Point(i - 1);
                var (x1, y1) = Point(i);
                int n = Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0)) + 1;
                for (int k = 0; k <= n; k++)
                    Set(x0 + (int)Math.Round((double)(x1 - x0) * k / n), y0 + (int)Math.Round((double)(y1 - y0) * k / n), curve.R, curve.G, curve.B);
            }
        }
        using var image = tensor(pixels, [3, height, width]);
        ImageEncoder.SavePng(path, image);
    }
}
