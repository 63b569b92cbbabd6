using System.Text.Json;
using System.Text.Json.Nodes;
using EdSam.IO;

namespace EdSam.Clip;

// The inverse of the folder overload of FromPretrained: a fine-tuned model leaves as a folder anyone can load.
public sealed partial class ClipModel
{
    /// <summary>
    /// Saves this model as an OpenCLIP checkpoint folder — <c>open_clip_model.safetensors</c> (OpenAI/OpenCLIP key
    /// names, the parameters' dtype) and <c>open_clip_config.json</c> (<c>model_cfg</c> and <c>preprocess_cfg</c>) —
    /// which <see cref="FromPretrained(string, ClipPretrainedOptions?, IProgress{long}?, CancellationToken)"/>,
    /// <see cref="ClipPretrained.Resolve"/> and open_clip load back. Each file is written atomically; the weights first,
    /// so an interrupted save never leaves a config that points at missing weights.
    /// </summary>
    /// <param name="folder">The folder to write (created when missing; files of the same names are replaced).</param>
    /// <param name="preprocess">The preprocessing the model expects; CLIP's at the model's image size when null. open_clip's
    /// <c>preprocess_cfg</c> records mean, std and interpolation only, so options it cannot record are refused.</param>
    /// <param name="bpeVocabularyPath">OpenAI's <c>bpe_simple_vocab_16e6.txt.gz</c> to copy into the folder, so
    /// <see cref="ClipPretrainedFiles.LoadTokenizer"/> finds the tokenizer there; none when null.</param>
    /// <exception cref="ArgumentException"><paramref name="preprocess"/> sizes other than the model's image size, or
    /// antialiasing/clamping turned off (open_clip's config cannot record them).</exception>
    /// <exception cref="FileNotFoundException"><paramref name="bpeVocabularyPath"/> does not exist.</exception>
    public void SavePretrained(string folder, ImagePreprocessorOptions? preprocess = null, string? bpeVocabularyPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        int imageSize = Config.Vision.ImageSize;
        preprocess ??= ImagePreprocessorOptions.Clip(imageSize);
        preprocess.Validate();
        if (preprocess.ResizeSize != imageSize || preprocess.CropSize != imageSize || !preprocess.Antialias || !preprocess.ClampAfterResize)
            throw new ArgumentException(
                $"open_clip's preprocess_cfg records mean, std and interpolation at the model's image size ({imageSize}); these options have " +
                $"ResizeSize {preprocess.ResizeSize}, CropSize {preprocess.CropSize}, Antialias {preprocess.Antialias}, ClampAfterResize {preprocess.ClampAfterResize}, " +
                "which a loader would not get back.", nameof(preprocess));
        if (bpeVocabularyPath is not null && !File.Exists(bpeVocabularyPath))
            throw new FileNotFoundException($"The BPE vocabulary '{bpeVocabularyPath}' does not exist.", bpeVocabularyPath);

        Directory.CreateDirectory(folder);
        using (TorchSharp.torch.NewDisposeScope())   // state_dict() may hand out new tensor handles
            SafeTensors.Save(Path.Combine(folder, ClipPretrained.OpenClipWeightsFile), state_dict());
        if (bpeVocabularyPath is not null)
            AtomicFile.WriteAllBytes(Path.Combine(folder, ClipPretrained.BpeVocabularyFile), File.ReadAllBytes(bpeVocabularyPath));

        var config = new JsonObject
        {
            ["model_cfg"] = OpenClipConfigJson.ToJsonObject(Config),
            ["preprocess_cfg"] = new JsonObject
            {
                ["size"] = imageSize,
                ["mode"] = "RGB",
                ["mean"] = new JsonArray(preprocess.Mean.Select(v => (JsonNode?)v).ToArray()),
                ["std"] = new JsonArray(preprocess.Std.Select(v => (JsonNode?)v).ToArray()),
                ["interpolation"] = preprocess.Interpolation.ToString().ToLowerInvariant(),
                ["resize_mode"] = "shortest",
            },
        };
        AtomicFile.WriteAllText(Path.Combine(folder, ClipPretrained.OpenClipConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
