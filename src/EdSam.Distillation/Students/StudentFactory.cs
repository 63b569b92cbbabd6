using EdSam.Clip;
using EdSam.IO;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Distillation.Students;

/// <summary>
/// Builds student backbones by <see cref="StudentArchitecture"/>, randomly initialised or from ImageNet weights in
/// torchvision/timm layout, and loads such weights into an existing backbone.
/// </summary>
public static class StudentFactory
{
    /// <summary>Builds a student backbone.</summary>
    /// <param name="architecture">Which backbone.</param>
    /// <param name="options">Weights, seed, device, input size; null for a randomly initialised fp32 CPU model.</param>
    /// <returns>The backbone in training mode (BatchNorm frozen when <see cref="StudentOptions.FreezeBatchNorm"/> is set). The caller disposes it.</returns>
    /// <exception cref="ArgumentException">The options are invalid, or <paramref name="architecture"/> is unknown.</exception>
    /// <exception cref="StateDictMismatchException">The weights do not fit the architecture (every bad key is named).</exception>
    /// <exception cref="SafeTensorsFormatException">The weights file is not valid safetensors (or is a pickle).</exception>
    public static StudentBackbone Create(StudentArchitecture architecture, StudentOptions? options = null)
    {
        options ??= new StudentOptions();
        options.Validate();
        // A private generator: the student depends only on Seed, whatever other threads draw from the global one.
        // (TorchSharp's layer constructors still draw their throw-away default init from the global generator.)
        using var generator = options.Seed is { } seed ? new Generator(unchecked((ulong)seed)) : null;
        var backbone = architecture switch
        {
            StudentArchitecture.ResNet18 => (StudentBackbone)new ResNetBackbone(ResNetConfig.ResNet18, generator),
            StudentArchitecture.ResNet50 => new ResNetBackbone(ResNetConfig.ResNet50, generator),
            StudentArchitecture.TinyResNet => new ResNetBackbone(ResNetConfig.Tiny, generator),
            StudentArchitecture.VitSmall16 => new VitBackbone(VitConfig.Small16 with { ImageSize = options.ImageSize ?? 224 }, generator),
            StudentArchitecture.VitBase16 => new VitBackbone(VitConfig.Base16 with { ImageSize = options.ImageSize ?? 224 }, generator),
            StudentArchitecture.TinyVit => new VitBackbone(VitConfig.Tiny with { ImageSize = options.ImageSize ?? VitConfig.Tiny.ImageSize }, generator),
            _ => throw new ArgumentException($"Unknown student architecture {architecture}; expected one of {string.Join(", ", Enum.GetNames<StudentArchitecture>())}.", nameof(architecture)),
        };

        try
        {
            if (options.WeightsPath is { } path)
            {
                var report = LoadWeights(backbone, path);
                if (options.Logger is { } logger)
                    foreach (string note in report.Notes) logger.LogInformation("{Note}", note);
            }
            if (options.FreezeBatchNorm) backbone.FreezeBatchNorm();
            if (options.Device is { } device) backbone.to(device);
            return backbone;
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads ImageNet weights into <paramref name="backbone"/>, strictly: DataParallel's <c>module.</c> prefix is
    /// stripped, the classification head (<c>fc.*</c> / <c>head.*</c>) is ignored with a note (the student uses
    /// features, and ImageNet-21k heads have another shape anyway), a ViT's <c>pos_embed</c> grid is resized
    /// bicubically when the checkpoint was trained at another resolution, and BatchNorm's <c>num_batches_tracked</c>
    /// may be absent (torchvision's original ImageNet ResNet weights lack it). Everything else must match by name
    /// and shape, or nothing is loaded.
    /// </summary>
    /// <param name="backbone">The backbone to fill (any device/dtype).</param>
    /// <param name="weightsPath">A <c>.safetensors</c> file with torchvision (ResNet) or timm (ViT) keys.</param>
    /// <returns>What was loaded, ignored and defaulted, with notes.</returns>
    /// <exception cref="StateDictMismatchException">A key is missing, unexpected or mis-shaped; every one is named.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is not valid safetensors (or is a pickle).</exception>
    public static StateDictLoadReport LoadWeights(StudentBackbone backbone, string weightsPath)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentException.ThrowIfNullOrEmpty(weightsPath);
        var stateDict = SafeTensors.Load(weightsPath);
        var notes = new List<string>();
        try
        {
            StripPrefix(stateDict, "module.", notes);
            if (backbone is VitBackbone vit) ResizePositionalEmbedding(stateDict, vit.Config, notes);
            var report = StateDicts.LoadStrict(backbone, stateDict, weightsPath, [backbone.ClassifierPrefix]);
            if (report.IgnoredKeys.Any(k => stateDict.ContainsKey(k)))
                notes.Add($"The checkpoint's classification head ('{backbone.ClassifierPrefix}*') was not loaded: the student's forward returns features, not class scores.");
            return report with { Notes = [.. notes, .. report.Notes] };
        }
        finally
        {
            foreach (var tensor in stateDict.Values) tensor.Dispose();
        }
    }

    private static void StripPrefix(Dictionary<string, Tensor> stateDict, string prefix, List<string> notes)
    {
        if (stateDict.Count == 0 || !stateDict.Keys.All(k => k.StartsWith(prefix, StringComparison.Ordinal))) return;
        var entries = stateDict.ToList();
        stateDict.Clear();
        foreach (var (key, value) in entries) stateDict[key[prefix.Length..]] = value;
        notes.Add($"Stripped the '{prefix}' prefix from every key.");
    }

    private static void ResizePositionalEmbedding(Dictionary<string, Tensor> stateDict, VitConfig config, List<string> notes)
    {
        const string key = "pos_embed";
        if (!stateDict.TryGetValue(key, out var embedding) || embedding.Dimensions != 3 || embedding.shape[0] != 1
            || embedding.shape[2] != config.Width || embedding.shape[1] == config.Tokens)
            return; // same grid, or a shape the strict load reports
        long oldTokens = embedding.shape[1] - 1, oldGrid = (long)Math.Round(Math.Sqrt(oldTokens));
        if (oldGrid * oldGrid != oldTokens) return;
        using var squeezed = embedding.squeeze(0);
        using var resized = ClipCheckpointLoader.ResizeGrid(squeezed, config.GridSize);
        stateDict[key] = resized.unsqueeze(0);
        embedding.Dispose();
        notes.Add($"Resized pos_embed from a {oldGrid}×{oldGrid} to a {config.GridSize}×{config.GridSize} patch grid (bicubic; class token kept).");
    }
}
