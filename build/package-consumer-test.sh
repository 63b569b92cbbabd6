#!/usr/bin/env bash
# Packs EdSam into a local folder feed, creates a brand-new console app outside the repository, adds
# `EdSam` + `TorchSharp-cpu` from that feed and runs a zero-shot classification: what a user does after
# `dotnet add package EdSam`. Needs ../shared/fixtures/clip for the BPE vocabulary and the tiny model.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
fixtures=${EDSAM_SHARED_FIXTURES:-$repo/../shared/fixtures}/clip
[ -f "$fixtures/bpe_simple_vocab_16e6.txt.gz" ] || { echo "package-consumer-test: no fixtures at $fixtures; skipped"; exit 0; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version="0.0.0-consumer.$(date +%s)"   # a fresh version, so no stale copy in the NuGet cache can answer

# The libraries only: the edsam tool's per-platform packages carry libtorch and take minutes to pack.
for project in EdSam.Core EdSam.Diffusion EdSam.Distillation EdSam; do
  dotnet pack "$repo/src/$project" -c Release -o "$work/feed" -p:Version="$version" -v q -nologo >/dev/null
done
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML

cd "$work"
dotnet new console -o consumer -v q >/dev/null
cd consumer
dotnet add package EdSam --version "$version" >/dev/null
dotnet add package TorchSharp-cpu --version 0.107.0 >/dev/null
cat > Program.cs <<'CS'
using EdSam.Clip;
using EdSam.Imaging;
using EdSam.IO;
using static TorchSharp.torch;

string fixtures = args[0];

// 1. The shipped tiny OpenAI-format model gives the reference logits.
using (var model = ClipModel.FromPretrained(Path.Combine(fixtures, "tiny-vit.config.json"), Path.Combine(fixtures, "tiny-vit.safetensors")))
{
    var io = SafeTensors.Load(Path.Combine(fixtures, "tiny-vit.io.safetensors"));
    using var noGrad = inference_mode();
    var (logits, _) = model.forward(io["images"], io["tokens"]);
    double error = (logits - io["logits_per_image"]).abs().max().item<float>();
    Console.WriteLine($"reference logits max abs error: {error:E2}");
    if (error > 1e-4) return 1;
}

// 2. Zero-shot classification of image files with the real CLIP tokenizer (a small full-vocabulary model).
var config = ClipConfig.FromJsonText("""
{ "embed_dim": 32, "quick_gelu": true,
  "vision_cfg": { "image_size": 32, "layers": 1, "width": 64, "head_width": 32, "patch_size": 8 },
  "text_cfg": { "context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1 } }
""");
manual_seed(0);
using var clip = new ClipModel(config);
clip.eval();
var tokenizer = ClipTokenizer.FromBpeFile(Path.Combine(fixtures, "bpe_simple_vocab_16e6.txt.gz"));
string image = Path.Combine(Path.GetTempPath(), $"edsam-consumer-{Environment.ProcessId}.png");
ImageEncoder.SavePng(image, rand(3, 48, 64));
using var classifier = new ZeroShotClassifier(clip, tokenizer, new[] { "cat", "dog", "car" });
var predicted = classifier.Predict(new[] { image });
File.Delete(image);
Console.WriteLine($"zero-shot prediction: {predicted[0]}");
return new[] { "cat", "dog", "car" }.Contains(predicted[0]) ? 0 : 1;
CS
dotnet build -v q -nologo 2>&1 | grep -E "EdSam:|error" || true
dotnet run --no-build -- "$fixtures"
echo "package-consumer-test: passed (EdSam $version from a local feed in a new console app)"
