using System.Globalization;
using System.Net;
using System.Text;
using EdSam.Imaging;
using static TorchSharp.torch;

namespace EdSam.Demo;

/// <summary>
/// Writes <c>report/</c> under the output folder: <c>index.html</c> (self-contained apart from the PNGs beside it),
/// <c>results.md</c> (the same table in Markdown, as docs/results.md shows it), <c>accuracy.png</c>, <c>loss.png</c>
/// and every fold's transport grid.
/// </summary>
internal static class DemoReport
{
    // One colour per loss curve (RGB in [0, 1]); the HTML legend names them.
    private static readonly (string Stage, string Name, float R, float G, float B)[] Curves =
    [
        ("1-diffusion", "diffusion loss", 0.9f, 0.5f, 0.1f),
        ("3-clip", "CLIP loss (source data only)", 0.1f, 0.3f, 0.9f),
        ("4-edsam", "ED-SAM loss (real + x*)", 0.1f, 0.7f, 0.2f),
    ];

    private static readonly (float R, float G, float B)[] Bars =
        [(0.1f, 0.3f, 0.9f), (0.1f, 0.7f, 0.2f), (0.6f, 0.6f, 0.6f), (0.9f, 0.5f, 0.1f), (0.6f, 0.2f, 0.7f)];

    public static string Write(DemoSettings settings, IReadOnlyList<MethodSummary> summary, IReadOnlyList<FoldRun> runs)
    {
        string folder = Path.Combine(settings.OutputFolder, "report");
        Directory.CreateDirectory(Path.Combine(folder, "grids"));
        var first = runs[0];
        SaveLossPlot(Path.Combine(folder, "loss.png"), first.Results);
        SaveAccuracyPlot(Path.Combine(folder, "accuracy.png"), summary);
        var grids = new List<(FoldRun Run, string File)>();
        foreach (var run in runs)
        {
            string grid = Path.Combine(run.Folder, "2-transport", "transport-grid.png");
            if (!File.Exists(grid)) continue;
            string name = $"grids/{run.Domain}-seed-{run.Seed}.png";
            File.Copy(grid, Path.Combine(folder, name), overwrite: true);
            grids.Add((run, name));
        }

        string markdown = Markdown(settings, summary, runs);
        Atomic(Path.Combine(folder, "results.md"), markdown);
        Atomic(Path.Combine(folder, "index.html"), Html(settings, summary, runs, grids));
        return Path.GetFullPath(Path.Combine(folder, "index.html"));
    }

    private static string F1(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    private static string Signed(double value) => (value >= 0 ? "+" : "−") + F1(Math.Abs(value));

    /// <summary>The results table in Markdown: held-out accuracy (%) per domain, mean ± std over seeds.</summary>
    public static string Markdown(DemoSettings settings, IReadOnlyList<MethodSummary> summary, IReadOnlyList<FoldRun> runs)
    {
        var domains = settings.TestDomains;
        var text = new StringBuilder();
        text.AppendLine($"Held-out accuracy (%), Fashion-MNIST-DG leave-one-domain-out, preset `{settings.Preset}` ({settings.ImageSize} px, ≤ {settings.MaxPerDomain} images per domain), " +
            $"seeds {string.Join(", ", settings.Seeds)}; mean ± standard deviation over seeds. Chance is 10 %." +
            (settings.Clip is { } clip ? $" CLIP fine-tuned from `{Path.GetFileName(clip.Weights)}` (SHA-256 {clip.WeightsSha256}, config {Path.GetFileName(clip.Config)})." : ""));
        text.AppendLine();
        text.AppendLine($"| Method | {string.Join(" | ", domains)} | **Mean held-out** | Source val | Wall time |");
        text.AppendLine($"|---|{string.Concat(domains.Select(_ => "---|"))}---|---|---|");
        foreach (var row in summary)
        {
            text.AppendLine($"| {row.Method} | {string.Join(" | ", domains.Select(d => row.HeldOut.TryGetValue(d, out var v) ? DemoSummary.Cell(v) : "–"))} " +
                $"| **{row.MeanText}** | {F1(100 * row.SourceValidation.Average())} | {F1(row.Seconds / 60)} min |");
        }
        text.AppendLine();
        if (runs.Count > 1)
        {
            text.AppendLine("Paired over folds (same held-out images, same seed; percentage points, ± standard error over folds):");
            text.AppendLine();
            foreach (var (method, reference, claim) in DemoSummary.Claims)
            {
                var paired = DemoSummary.Paired(runs, method, reference);
                text.AppendLine($"- {claim}: **{Signed(100 * paired.Mean)}** ± {F1(100 * paired.StandardError)} points; better on {paired.Wins} of {paired.Folds} folds, worse on {paired.Losses}.");
            }
            text.AppendLine();
        }
        text.AppendLine($"Per fold (held-out accuracy, %):");
        text.AppendLine();
        text.AppendLine($"| Held out | Seed | {string.Join(" | ", DemoSummary.Methods.Select(m => m.Method))} | Fold wall time |");
        text.AppendLine($"|---|---|{string.Concat(DemoSummary.Methods.Select(_ => "---|"))}---|");
        foreach (var run in runs.OrderBy(r => domains.ToList().IndexOf(r.Domain)).ThenBy(r => r.Seed))
            text.AppendLine($"| {run.Domain} | {run.Seed} | {string.Join(" | ", DemoSummary.Methods.Select(m => DemoSummary.Pct(run.Results[m.Stage].Accuracy[$"test:{run.Domain}"])))} | {F1(run.Seconds)} s |");
        text.AppendLine();
        double diffusion = runs.Sum(r => r.Results.TryGetValue("1-diffusion", out var d) ? d.Seconds : 0);
        text.AppendLine($"Wall time: {F1(runs.Sum(r => r.Seconds) / 60)} min of stage time over {runs.Count} folds " +
            $"(diffusion models {F1(diffusion / 60)} min, counted in no row above; ED-SAM's row includes generating x*). " +
            $"Each fold: {runs[0].TrainCount} training, {runs[0].ValidationCount} source-validation and {runs[0].TestCount} held-out images.");
        return text.ToString();
    }

    private static string Html(DemoSettings settings, IReadOnlyList<MethodSummary> summary, IReadOnlyList<FoldRun> runs, List<(FoldRun Run, string File)> grids)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var domains = settings.TestDomains;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>EdSam demo</title><style>")
            .Append("body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}")
            .Append("img{image-rendering:pixelated;border:1px solid #ccc}</style></head><body>");
        html.Append("<h1>EdSam demo — Fashion-MNIST-DG, leave-one-domain-out</h1>");
        html.Append($"<p>Preset <b>{E(settings.Preset)}</b>, {settings.ImageSize} px, at most {settings.MaxPerDomain} images per domain; ")
            .Append($"held-out domains {E(string.Join(", ", domains))}; seeds {E(string.Join(", ", settings.Seeds))}. ")
            .Append(settings.Clip is { } clip
                ? $"The given CLIP ({E(clip.Weights)}, SHA-256 {E(clip.WeightsSha256 ?? "")}) is fine-tuned on the source domains' captions twice per fold — without and with the transported samples x* "
                : "CLIP is trained from scratch on the source domains' captions twice per fold — without and with the transported samples x* ")
            .Append("(same initial weights, batches and steps) — and the three TinyResNet students learn from the ED-SAM CLIP. ")
            .Append("All numbers were measured by this demo's runs; a stage marked “resumed” was computed by an earlier run into the same folder (same settings).</p>");

        html.Append("<h2>Held-out accuracy (%)</h2><table><tr><th>Method</th>");
        foreach (var domain in domains) html.Append($"<th>{E(domain)}</th>");
        html.Append("<th>Mean held-out</th><th>Source validation</th><th>Wall time of its stage</th></tr>");
        foreach (var row in summary)
        {
            html.Append($"<tr><td>{E(row.Method)}</td>");
            foreach (var domain in domains) html.Append($"<td>{(row.HeldOut.TryGetValue(domain, out var v) ? DemoSummary.Cell(v) : "–")}</td>");
            html.Append($"<td><b>{row.MeanText}</b></td>")
                .Append($"<td>{F1(100 * row.SourceValidation.Average())}</td><td>{F1(row.Seconds)} s</td></tr>");
        }
        html.Append("</table><p>Mean ± standard deviation over seeds (for the mean column: of each seed's mean over domains). Chance is 10 %.</p>")
            .Append("<img src=\"accuracy.png\" width=\"640\"><p>Mean held-out accuracy on a 0–100 % axis (grid every 10 %), bars from left to right: ")
            .Append(string.Join(", ", summary.Select((row, i) => $"<span style=\"color:{Css(Bars[i % Bars.Length])}\">{E(row.Method)}</span>"))).Append(".</p>");

        if (runs.Count > 1)
        {
            html.Append("<h2>Paired comparisons</h2><p>Over folds (same held-out images and seed), percentage points ± standard error over folds:</p><ul>");
            foreach (var (method, reference, claim) in DemoSummary.Claims)
            {
                var paired = DemoSummary.Paired(runs, method, reference);
                html.Append($"<li>{E(claim)}: <b>{Signed(100 * paired.Mean)}</b> ± {F1(100 * paired.StandardError)}; better on {paired.Wins} of {paired.Folds} folds, worse on {paired.Losses}.</li>");
            }
            html.Append("</ul>");
        }

        html.Append("<h2>Folds</h2><table><tr><th>Held out</th><th>Seed</th><th>Images (train / val / test)</th>");
        foreach (var (method, _) in DemoSummary.Methods) html.Append($"<th>{E(method)}</th>");
        html.Append("<th>Wall time</th></tr>");
        foreach (var run in runs)
        {
            html.Append($"<tr><td>{E(run.Domain)}</td><td>{run.Seed}</td><td>{run.TrainCount} / {run.ValidationCount} / {run.TestCount}</td>");
            foreach (var (_, stage) in DemoSummary.Methods)
                html.Append($"<td>{DemoSummary.Pct(run.Results[stage].Accuracy[$"test:{run.Domain}"])}</td>");
            html.Append($"<td>{F1(run.Seconds)} s{(run.Resumed.Count > 0 ? $" ({run.Resumed.Count} stages resumed)" : "")}</td></tr>");
        }
        html.Append("</table>");

        html.Append($"<h2>Training losses ({E(runs[0].Domain)}, seed {runs[0].Seed})</h2><img src=\"loss.png\" width=\"640\">")
            .Append("<p>Each curve is scaled to its own range (min at the bottom, max at the top) over its steps: ")
            .Append(string.Join(", ", Curves.Select(c => $"<span style=\"color:{Css((c.R, c.G, c.B))}\">{E(c.Name)}</span>"))).Append(".</p>");

        html.Append("<h2>Transported samples</h2><p>Each row: a source image, then its transported samples x* ")
            .Append($"(ρ = 0.5, start at ᾱ = ½, {settings.SamplingSteps} DDIM steps; a class-conditioned Tiny UNet trained for {settings.DiffusionSteps} steps on the fold's source images only).</p>");
        foreach (var (run, file) in grids)
            html.Append($"<figure style=\"display:inline-block\"><img src=\"{E(file)}\" width=\"{40 * (settings.SamplesPerImage + 1)}\"><figcaption>{E(run.Domain)} held out, seed {run.Seed}</figcaption></figure>");
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string Css((float R, float G, float B) c) => $"rgb({(int)(c.R * 255)},{(int)(c.G * 255)},{(int)(c.B * 255)})";

    private static void Atomic(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private sealed class Canvas(int width, int height)
    {
        public int Width { get; } = width;
        public int Height { get; } = height;
        private readonly float[] _pixels = Enumerable.Repeat(1f, 3 * width * height).ToArray();

        public void Set(int x, int y, float r, float g, float b)
        {
            if (x < 0 || x >= Width || y < 0 || y >= Height) return;
            _pixels[y * Width + x] = r;
            _pixels[Width * Height + y * Width + x] = g;
            _pixels[2 * Width * Height + y * Width + x] = b;
        }

        public void Save(string path)
        {
            using var image = tensor(_pixels, [3, Height, Width]);
            ImageEncoder.SavePng(path, image);
        }
    }

    /// <summary>Line plot of each loss curve, normalised to its own range, with axes.</summary>
    private static void SaveLossPlot(string path, IReadOnlyDictionary<string, StageResult> results)
    {
        const int margin = 30;
        var canvas = new Canvas(640, 360);
        int width = canvas.Width, height = canvas.Height;
        for (int x = margin; x < width - margin / 2; x++) canvas.Set(x, height - margin, 0, 0, 0);
        for (int y = margin / 2; y <= height - margin; y++) canvas.Set(margin, y, 0, 0, 0);
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
                    canvas.Set(x0 + (int)Math.Round((double)(x1 - x0) * k / n), y0 + (int)Math.Round((double)(y1 - y0) * k / n), curve.R, curve.G, curve.B);
            }
        }
        canvas.Save(path);
    }

    /// <summary>Bar chart of each method's mean held-out accuracy on a 0–100 % axis with grid lines every 10 %.</summary>
    private static void SaveAccuracyPlot(string path, IReadOnlyList<MethodSummary> summary)
    {
        const int margin = 30;
        var canvas = new Canvas(640, 300);
        int width = canvas.Width, height = canvas.Height, plot = height - 2 * margin;
        for (int tick = 0; tick <= 10; tick++)
        {
            int y = height - margin - tick * plot / 10;
            for (int x = margin; x < width - margin / 2; x += tick == 0 ? 1 : 4) canvas.Set(x, y, 0.4f, 0.4f, 0.4f);
        }
        int slot = (width - 2 * margin) / Math.Max(1, summary.Count);
        for (int i = 0; i < summary.Count; i++)
        {
            double value = double.IsFinite(summary[i].MeanHeldOut) ? summary[i].MeanHeldOut : 0;
            int top = height - margin - (int)Math.Round(value * plot);
            var (r, g, b) = Bars[i % Bars.Length];
            for (int x = margin + i * slot + slot / 6; x < margin + (i + 1) * slot - slot / 6; x++)
                for (int y = top; y < height - margin; y++) canvas.Set(x, y, r, g, b);
        }
        canvas.Save(path);
    }
}
