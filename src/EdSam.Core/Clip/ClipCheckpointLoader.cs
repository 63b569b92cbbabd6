using EdSam.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Clip;

/// <summary>
/// Loads a CLIP checkpoint as a pipeline of small steps (open_clip's <c>load_checkpoint</c>), each usable alone:
/// <see cref="ReadStateDict"/> → <see cref="ConvertLayout"/> (Hugging Face → OpenAI names) →
/// <see cref="FixQuirks"/> (<c>module.</c> prefixes, 1-d <c>logit_scale</c>, non-weight entries) →
/// <see cref="ResizePositionalEmbeddings"/> (bicubic, class token kept) → <see cref="LoadStrict"/> (every
/// incompatible key reported at once).
/// </summary>
public static class ClipCheckpointLoader
{
    /// <summary>Runs every step, filling <paramref name="model"/>'s parameters in place. The state dict is disposed afterwards.</summary>
    /// <param name="model">The model to fill (any device/dtype; values are converted on copy).</param>
    /// <param name="weightsPath">A <c>.safetensors</c> checkpoint, or a sharded checkpoint's <c>model.safetensors.index.json</c>.</param>
    /// <param name="options">Loading switches; null for the defaults.</param>
    /// <exception cref="StateDictMismatchException">Keys are missing, unexpected or mis-shaped.</exception>
    public static void Load(ClipModel model, string weightsPath, ClipLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ClipLoadOptions();
        var stateDict = ReadStateDict(weightsPath);
        try
        {
            stateDict = ConvertLayout(stateDict);
            FixQuirks(stateDict);
            if (options.ResizePositionalEmbeddings) ResizePositionalEmbeddings(stateDict, model.Config);
            LoadStrict(model, stateDict, weightsPath);
        }
        finally
        {
            foreach (var tensor in stateDict.Values) tensor.Dispose();
        }
    }

    /// <summary>Step 1: reads every tensor of a <c>.safetensors</c> file, or of every shard of a sharded checkpoint, onto the CPU.</summary>
    /// <param name="weightsPath">The checkpoint, or a sharded checkpoint's <c>model.safetensors.index.json</c> (see
    /// <see cref="SafeTensorsIndex"/>); <c>.pt</c>/<c>.bin</c> pickles are refused by <see cref="SafeTensors"/> with a conversion hint.</param>
    /// <returns>Key → tensor; the caller owns the tensors.</returns>
    public static Dictionary<string, Tensor> ReadStateDict(string weightsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(weightsPath);
        return SafeTensorsIndex.IsIndexPath(weightsPath) ? SafeTensorsIndex.Read(weightsPath).Load() : SafeTensors.Load(weightsPath);
    }

    /// <summary>Step 2: converts a Hugging Face <c>CLIPModel</c> layout to OpenAI names; returns other layouts unchanged.</summary>
    /// <param name="stateDict">The state dict; do not use it afterwards (its tensors move to the result).</param>
    /// <returns>A state dict with OpenAI/OpenCLIP key names.</returns>
    public static Dictionary<string, Tensor> ConvertLayout(Dictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        return HuggingFaceClipKeys.IsHuggingFaceLayout(stateDict) ? HuggingFaceClipKeys.ToOpenAi(stateDict) : stateDict;
    }

    /// <summary>True when the state dict uses Hugging Face's <c>CLIPModel</c> key layout (<c>vision_model.*</c>, <c>text_model.*</c>).</summary>
    /// <param name="stateDict">The state dict.</param>
    /// <returns>Whether <see cref="ConvertLayout"/> would rename it.</returns>
    public static bool IsHuggingFaceLayout(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        return HuggingFaceClipKeys.IsHuggingFaceLayout(stateDict);
    }

    /// <summary>
    /// The inverse of <see cref="ConvertLayout"/>: OpenAI/OpenCLIP names to Hugging Face <c>CLIPModel</c> names
    /// (q/k/v split out of <c>in_proj</c>, projections transposed into Linear weights). A state dict already in
    /// Hugging Face layout is returned unchanged. <c>ConvertLayout(ToHuggingFaceLayout(sd))</c> reproduces every tensor of <c>sd</c>.
    /// </summary>
    /// <param name="stateDict">The state dict; do not use it afterwards (its tensors move to the result).</param>
    /// <returns>A state dict with Hugging Face key names.</returns>
    /// <exception cref="NotSupportedException">The image tower is a ResNet, which Hugging Face's <c>CLIPModel</c> cannot hold.</exception>
    public static Dictionary<string, Tensor> ToHuggingFaceLayout(Dictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        return HuggingFaceClipKeys.IsHuggingFaceLayout(stateDict) ? stateDict : HuggingFaceClipKeys.ToHuggingFace(stateDict);
    }

    /// <summary>
    /// Step 3, in place: strips DataParallel's <c>module.</c> prefix, turns a 1-element <c>logit_scale</c> into a
    /// scalar, and drops entries that are not weights (OpenAI's <c>input_resolution</c>, <c>context_length</c>,
    /// <c>vocab_size</c>, a saved causal <c>attn_mask</c>, <c>position_ids</c>).
    /// </summary>
    /// <param name="stateDict">The state dict to fix.</param>
    public static void FixQuirks(Dictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        const string dataParallel = "module.";
        if (stateDict.Count > 0 && stateDict.Keys.All(k => k.StartsWith(dataParallel, StringComparison.Ordinal)))
        {
            var entries = stateDict.ToList();
            stateDict.Clear();
            foreach (var (key, value) in entries) stateDict[key[dataParallel.Length..]] = value;
        }

        foreach (string key in new[] { "input_resolution", "context_length", "vocab_size", "attn_mask" })
            if (stateDict.Remove(key, out var dropped)) dropped.Dispose();
        foreach (string key in stateDict.Keys.Where(k => k.EndsWith("position_ids", StringComparison.Ordinal)).ToList())
            if (stateDict.Remove(key, out var dropped)) dropped.Dispose();

        if (stateDict.TryGetValue("logit_scale", out var scale) && scale.Dimensions == 1 && scale.shape[0] == 1)
        {
            stateDict["logit_scale"] = scale.reshape([]).clone();
            scale.Dispose();
        }
    }

    /// <summary>
    /// Step 4, in place: when the config's image grid differs from the checkpoint's, resizes the image tower's
    /// positional embedding (<c>visual.positional_embedding</c> for a ViT, <c>visual.attnpool.positional_embedding</c>
    /// for a ModifiedResNet): the class/mean token is kept, the square grid is resized bicubically (antialiased,
    /// as open_clip's <c>resize_pos_embed</c>). Same size → untouched.
    /// </summary>
    /// <param name="stateDict">The state dict (OpenAI names).</param>
    /// <param name="config">The target architecture.</param>
    public static void ResizePositionalEmbeddings(Dictionary<string, Tensor> stateDict, ClipConfig config)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(config);
        var vision = config.Vision;
        (string key, int grid) = vision.Architecture == ClipVisionArchitecture.VisionTransformer
            ? ("visual.positional_embedding", vision.ImageSize / vision.PatchSize!.Value)
            : ("visual.attnpool.positional_embedding", vision.ImageSize / 32);
        if (!stateDict.TryGetValue(key, out var embedding) || embedding.Dimensions != 2) return;
        long tokens = (long)grid * grid + 1;
        if (embedding.shape[0] == tokens) return;
        long oldTokens = embedding.shape[0] - 1;
        long oldGrid = (long)Math.Round(Math.Sqrt(oldTokens));
        if (oldGrid * oldGrid != oldTokens) return; // not a square grid: leave it for the strict load to report
        stateDict[key] = ResizeGrid(embedding, grid);
        embedding.Dispose();
    }

    /// <summary>Resizes a <c>[1 + g², W]</c> positional embedding to <c>[1 + grid², W]</c> (class token first and kept).</summary>
    /// <param name="embedding">The positional embedding with a square grid.</param>
    /// <param name="grid">The new grid side.</param>
    /// <returns>A new tensor in the input's dtype.</returns>
    public static Tensor ResizeGrid(Tensor embedding, int grid)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        if (grid <= 0) throw new ArgumentOutOfRangeException(nameof(grid), grid, "The grid side must be positive.");
        using var scope = NewDisposeScope();
        long width = embedding.shape[1], oldGrid = (long)Math.Round(Math.Sqrt(embedding.shape[0] - 1));
        if (oldGrid * oldGrid != embedding.shape[0] - 1)
            throw new ArgumentException($"Positional embedding [{string.Join(", ", embedding.shape)}] has no square grid after its class token.", nameof(embedding));
        var classToken = embedding.narrow(0, 0, 1);
        var gridImage = embedding.narrow(0, 1, oldGrid * oldGrid).to(ScalarType.Float32)
            .reshape(1, oldGrid, oldGrid, width).permute(0, 3, 1, 2);
        var resized = nn.functional.interpolate(gridImage, size: [grid, grid], mode: InterpolationMode.Bicubic, align_corners: false, antialias: true)
            .permute(0, 2, 3, 1).reshape((long)grid * grid, width).to(embedding.dtype);
        return scope.MoveToOuter(cat([classToken, resized], 0));
    }

    /// <summary>
    /// Step 5: copies every tensor into <paramref name="model"/> after checking that the key sets and shapes agree;
    /// otherwise nothing is copied and one exception lists every missing, unexpected and mis-shaped key.
    /// </summary>
    /// <param name="model">The model to fill.</param>
    /// <param name="stateDict">OpenAI-named state dict.</param>
    /// <param name="source">Checkpoint name for the message.</param>
    /// <exception cref="StateDictMismatchException">The checkpoint does not match the model; the message names the config
    /// the model was built from (its registered name when it has one, and its size), since a wrong config is the usual cause.</exception>
    public static void LoadStrict(ClipModel model, IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            StateDicts.LoadStrict(model, stateDict, source);
        }
        catch (StateDictMismatchException ex) when (ex.ComparedWith is null)
        {
            throw new StateDictMismatchException(ex.Checkpoint, ex.ModuleName, ex.MissingKeys, ex.UnexpectedKeys, ex.ShapeMismatches, Describe(model.Config));
        }
    }

    /// <summary>A config in a few words for messages: <c>ClipConfig 'ViT-B-32' (ViT, 12 layers, width 768, patch 32, 224 px; text …)</c>.</summary>
    internal static string Describe(ClipConfig config)
    {
        ClipVisionConfig v = config.Vision;
        ClipTextConfig t = config.Text;
        string vision = v.Architecture == ClipVisionArchitecture.VisionTransformer
            ? $"ViT, {v.Layers[0]} layers, width {v.Width}, patch {v.PatchSize}, {v.ImageSize} px"
            : $"ModifiedResNet, layers [{string.Join(", ", v.Layers)}], width {v.Width}, {v.ImageSize} px";
        string? name = ClipConfigRegistry.NameOf(config);
        return $"ClipConfig{(name is null ? "" : $" '{name}'")} ({vision}; text {t.Layers} layers, width {t.Width}, vocab_size {t.VocabSize}; embed_dim {config.EmbedDim})";
    }
}
