using EdSam.Clip;
using EdSam.IO;
using static TorchSharp.torch;

// Zero-shot image classification with CLIP.
//
//   dotnet run --project samples/ZeroShot
//       runs the tiny reference models shipped in ../shared/fixtures/clip and checks them against the outputs
//       of OpenAI's implementation;
//   dotnet run --project samples/ZeroShot -- --model openai/clip-vit-base-patch32 --labels cat,dog,car img1.jpg img2.jpg
//       classifies your images with a real checkpoint (a local folder or a Hugging Face repository id).

string? model = Option(args, "--model");
if (model is null) return RunFixtures(Option(args, "--fixtures"));

string[] labels = (Option(args, "--labels") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
string[] images = args.Where((a, i) => !a.StartsWith("--") && (i == 0 || !args[i - 1].StartsWith("--"))).ToArray();
if (labels.Length == 0 || images.Length == 0)
{
    Console.Error.WriteLine("usage: ZeroShot --model <folder|repo-id> --labels cat,dog,... <image> [<image> ...]");
    return 2;
}

var files = ClipPretrained.Resolve(model);
using var clip = ClipModel.FromPretrained(model);
var tokenizer = files.LoadTokenizer();
using var classifier = new ZeroShotClassifier(clip, tokenizer, labels);
using var probabilities = classifier.PredictProba(images);
for (int i = 0; i < images.Length; i++)
{
    long best = probabilities[i].argmax().item<long>();
    Console.WriteLine($"{images[i]}: {labels[best]} ({probabilities[i, best].item<float>():P1})");
}
return 0;

static int RunFixtures(string? folder)
{
    folder ??= FindSharedFixtures();
    if (folder is null || !File.Exists(Path.Combine(folder, "tiny-vit.config.json")))
    {
        Console.Error.WriteLine("No CLIP fixtures found: expected ../shared/fixtures/clip beside the repository, or pass --fixtures <folder>.");
        return 1;
    }

    Console.WriteLine($"Tiny CLIP models from {folder}, compared with OpenAI's reference outputs.\n");
    double worst = 0;
    foreach (string name in new[] { "tiny-vit", "tiny-rn" })
    {
        using var scope = NewDisposeScope();
        using var clip = ClipModel.FromPretrained(Path.Combine(folder, $"{name}.config.json"), Path.Combine(folder, $"{name}.safetensors"));
        var reference = SafeTensors.Load(Path.Combine(folder, $"{name}.io.safetensors"));
        Tensor logits;
        using (inference_mode()) logits = clip.forward(reference["images"], reference["tokens"]).logitsPerImage;

        // Each fixture image is classified among the fixture's three token sequences ("captions").
        var probabilities = logits.softmax(1);
        double error = (logits - reference["logits_per_image"]).abs().max().item<float>();
        worst = Math.Max(worst, error);
        Console.WriteLine($"{name}: {clip.Config.Vision.Architecture}, layers [{string.Join(",", clip.Config.Vision.Layers)}], embed dim {clip.EmbedDim}");
        for (int i = 0; i < probabilities.shape[0]; i++)
        {
            var row = Enumerable.Range(0, (int)probabilities.shape[1]).Select(j => $"{probabilities[i, j].item<float>():P1}");
            Console.WriteLine($"  image {i}: P(caption 0..2) = {string.Join("  ", row)}  → caption {probabilities[i].argmax().item<long>()}");
        }
        Console.WriteLine($"  max |logits − reference| = {error:E2}\n");
    }
    Console.WriteLine(worst <= 1e-4 ? "Matches the reference implementation (≤ 1e-4)." : "DIFFERS from the reference implementation!");
    return worst <= 1e-4 ? 0 : 1;
}

static string? FindSharedFixtures()
{
    foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EdSam.sln")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures", "clip"));
    return null;
}

static string? Option(string[] args, string name)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}
