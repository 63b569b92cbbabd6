using EdSam.IO;
using EdSam.IO.Hub;
using Microsoft.Extensions.Logging;

namespace EdSam.Clip;

/// <summary>
/// Finds a pretrained CLIP's files in a local folder or a Hugging Face-compatible hub repository and loads it.
/// Both layouts on the hub are recognised (see <see cref="ClipCheckpointLayout"/>); OpenCLIP's is preferred when a
/// repository has both, since its keys need no conversion.
/// </summary>
public static class ClipPretrained
{
    /// <summary>OpenCLIP's config file name.</summary>
    public const string OpenClipConfigFile = "open_clip_config.json";
    /// <summary>OpenCLIP's safetensors weights file name.</summary>
    public const string OpenClipWeightsFile = "open_clip_model.safetensors";
    /// <summary>OpenAI's BPE vocabulary file name (the tokenizer of OpenAI and OpenCLIP checkpoints).</summary>
    public const string BpeVocabularyFile = "bpe_simple_vocab_16e6.txt.gz";
    /// <summary>Hugging Face transformers' config file name.</summary>
    public const string HuggingFaceConfigFile = "config.json";
    /// <summary>Hugging Face transformers' safetensors weights file name.</summary>
    public const string HuggingFaceWeightsFile = "model.safetensors";
    /// <summary>Hugging Face transformers' index of a sharded safetensors checkpoint (large models; the shards lie beside it).</summary>
    public const string HuggingFaceShardIndexFile = SafeTensorsIndex.DefaultFileName;
    /// <summary>Hugging Face image processor settings.</summary>
    public const string PreprocessorConfigFile = "preprocessor_config.json";

    private static readonly string[] PickleWeightFiles = ["open_clip_pytorch_model.bin", "pytorch_model.bin", "model.pt", "model.pth"];

    /// <summary>Loads a pretrained CLIP from a folder or a hub repository id (downloading into the cache when needed).</summary>
    /// <param name="repoIdOrDirectory">An existing folder, or a repository id such as <c>laion/CLIP-ViT-B-32-laion2B-s34B-b79K</c>.</param>
    /// <param name="options">Hub and loading options; defaults from the environment (HF_ENDPOINT, HF_TOKEN, …), fp32 on the CPU.</param>
    /// <param name="progress">Bytes received of the file being downloaded (restarts for each file).</param>
    /// <param name="cancellationToken">Stops downloading; partial downloads are kept for resuming.</param>
    /// <returns>The model in eval mode.</returns>
    /// <exception cref="ClipPretrainedException">No loadable checkpoint: the message says what was found and how to convert it.</exception>
    /// <exception cref="HubException">Downloading failed (404, offline and not cached, checksum, network).</exception>
    /// <exception cref="ClipConfigException">The config is malformed or unsupported.</exception>
    /// <exception cref="EdSam.IO.StateDictMismatchException">The weights do not fit the config (keys listed).</exception>
    public static ClipModel Load(string repoIdOrDirectory, ClipPretrainedOptions? options = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ClipPretrainedFiles files = Resolve(repoIdOrDirectory, options, progress, cancellationToken);
        return ClipModel.FromPretrained(files.ReadConfig(), files.WeightsPath, options?.Load);
    }

    /// <summary>Synchronous form of <see cref="ResolveAsync"/>.</summary>
    /// <param name="repoIdOrDirectory">An existing folder, or a hub repository id.</param>
    /// <param name="options">Hub options; defaults from the environment.</param>
    /// <param name="progress">Bytes received of the file being downloaded.</param>
    /// <param name="cancellationToken">Stops downloading.</param>
    /// <returns>The local files.</returns>
    public static ClipPretrainedFiles Resolve(string repoIdOrDirectory, ClipPretrainedOptions? options = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        => Task.Run(() => ResolveAsync(repoIdOrDirectory, options, progress, cancellationToken), cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Locates config, weights, preprocessing and tokenizer files: in the folder when <paramref name="repoIdOrDirectory"/>
    /// exists as one, otherwise in the hub repository of that id (files are downloaded into the cache; optional
    /// files that are missing are skipped).
    /// </summary>
    /// <param name="repoIdOrDirectory">An existing folder, or a hub repository id.</param>
    /// <param name="options">Hub options; defaults from the environment.</param>
    /// <param name="progress">Bytes received of the file being downloaded.</param>
    /// <param name="cancellationToken">Stops downloading.</param>
    /// <returns>The local files.</returns>
    /// <exception cref="DirectoryNotFoundException">The argument looks like a path but no such folder exists.</exception>
    /// <exception cref="ClipPretrainedException">No loadable checkpoint layout was found (for a hub id, the message also says that
    /// no local folder of that name exists).</exception>
    /// <exception cref="HubUnreachableException">The hub cannot be reached; the message also says that no local folder of that name exists.</exception>
    /// <exception cref="HubException">Downloading failed.</exception>
    public static async Task<ClipPretrainedFiles> ResolveAsync(string repoIdOrDirectory, ClipPretrainedOptions? options = null,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repoIdOrDirectory);
        if (Directory.Exists(repoIdOrDirectory)) return ResolveDirectory(Path.GetFullPath(repoIdOrDirectory));
        if (LooksLikePath(repoIdOrDirectory))
            throw new DirectoryNotFoundException($"The folder '{repoIdOrDirectory}' does not exist (and it is not a hub repository id such as 'openai/clip-vit-base-patch32').");

        using var hub = new HubClient(options?.Hub, options?.HttpClient, (ILogger<HubClient>?)null);
        try
        {
            return await ResolveHubAsync(hub, repoIdOrDirectory, progress, cancellationToken).ConfigureAwait(false);
        }
        // 'models/tiny' is a valid repository id and a relative path: when the hub cannot help, say that the folder
        // was looked for too, so a mistyped path is not mistaken for a network problem.
        catch (HubUnreachableException ex)
        {
            throw new HubUnreachableException($"{ex.Message} {NoLocalFolder(repoIdOrDirectory)}", ex.RepoId, ex.FileName, ex.Url!, ex);
        }
        catch (ClipPretrainedException ex)
        {
            throw new ClipPretrainedException(ex.PretrainedSource, $"{ex.Message} {NoLocalFolder(repoIdOrDirectory)}", ex);
        }
    }

    private static string NoLocalFolder(string repoIdOrDirectory)
        => $"No local folder '{Path.GetFullPath(repoIdOrDirectory)}' exists either (relative paths are resolved against the current directory, '{Environment.CurrentDirectory}').";

    private static ClipPretrainedFiles ResolveDirectory(string folder)
    {
        string? Find(string name) => File.Exists(Path.Combine(folder, name)) ? Path.Combine(folder, name) : null;
        string? vocab = Find("vocab.json"), merges = Find("merges.txt");
        string? bpe = Find(BpeVocabularyFile) ?? Directory.EnumerateFiles(folder, "bpe*.txt.gz").FirstOrDefault();
        ClipPretrainedFiles With(ClipCheckpointLayout layout, string config, string weights) => new()
        {
            Source = folder, Layout = layout, ConfigPath = config, WeightsPath = weights,
            PreprocessorConfigPath = Find(PreprocessorConfigFile),
            VocabPath = vocab is not null && merges is not null ? vocab : null,
            MergesPath = vocab is not null && merges is not null ? merges : null,
            BpeGzPath = bpe,
        };

        if (Find(OpenClipConfigFile) is { } openClipConfig && Find(OpenClipWeightsFile) is { } openClipWeights)
            return With(ClipCheckpointLayout.OpenClip, openClipConfig, openClipWeights);
        if (Find(HuggingFaceConfigFile) is { } hfConfig && (Find(HuggingFaceWeightsFile) ?? Find(HuggingFaceShardIndexFile)) is { } hfWeights)
            return With(ClipCheckpointLayout.HuggingFace, hfConfig, hfWeights);

        string[] pickles = PickleWeightFiles.Where(f => Find(f) is not null)
            .Concat(Directory.EnumerateFiles(folder, "*.pt").Concat(Directory.EnumerateFiles(folder, "*.bin")).Select(Path.GetFileName).OfType<string>())
            .Distinct().ToArray();
        throw NoCheckpoint(folder, Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).OfType<string>().Order().ToArray(), pickles);
    }

    private static async Task<ClipPretrainedFiles> ResolveHubAsync(HubClient hub, string repoId, IProgress<long>? progress, CancellationToken ct)
    {
        ClipCheckpointLayout? layout = null;
        string? config = null, weightsFile = null;
        if (await hub.TryDownloadFileAsync(repoId, OpenClipConfigFile, progress, ct).ConfigureAwait(false) is { } openClipConfig
            && await hub.ExistsAsync(repoId, OpenClipWeightsFile, ct).ConfigureAwait(false))
        {
            (layout, config, weightsFile) = (ClipCheckpointLayout.OpenClip, openClipConfig, OpenClipWeightsFile);
        }
        else if (await hub.TryDownloadFileAsync(repoId, HuggingFaceConfigFile, progress, ct).ConfigureAwait(false) is { } hfConfig)
        {
            if (await hub.ExistsAsync(repoId, HuggingFaceWeightsFile, ct).ConfigureAwait(false))
                (layout, config, weightsFile) = (ClipCheckpointLayout.HuggingFace, hfConfig, HuggingFaceWeightsFile);
            else if (await hub.ExistsAsync(repoId, HuggingFaceShardIndexFile, ct).ConfigureAwait(false))
                (layout, config, weightsFile) = (ClipCheckpointLayout.HuggingFace, hfConfig, HuggingFaceShardIndexFile);
        }

        if (layout is null || config is null || weightsFile is null)
        {
            var pickles = new List<string>();
            foreach (string file in PickleWeightFiles)
                if (await hub.ExistsAsync(repoId, file, ct).ConfigureAwait(false)) pickles.Add(file);
            if (hub.Options.Offline && pickles.Count == 0)
                throw new ClipPretrainedException(repoId,
                    $"'{repoId}' (revision '{hub.Options.Revision}') is not in the cache '{hub.Options.CacheDirectory}' and offline mode is on. " +
                    "Load it once while online (or unset HF_HUB_OFFLINE).");
            throw NoCheckpoint(repoId, found: null, pickles);
        }

        string weights = await hub.DownloadFileAsync(repoId, weightsFile, progress, ct).ConfigureAwait(false);
        if (weightsFile == HuggingFaceShardIndexFile)
        {
            // The cache mirrors the repository, so the shards land beside the index, where SafeTensorsIndex looks for them.
            foreach (string shard in SafeTensorsIndex.Read(weights).ShardFiles)
                await hub.DownloadFileAsync(repoId, shard, progress, ct).ConfigureAwait(false);
        }
        string? preprocessor = layout == ClipCheckpointLayout.HuggingFace
            ? await hub.TryDownloadFileAsync(repoId, PreprocessorConfigFile, progress, ct).ConfigureAwait(false)
            : null;
        string? vocab = await hub.TryDownloadFileAsync(repoId, "vocab.json", progress, ct).ConfigureAwait(false);
        string? merges = vocab is null ? null : await hub.TryDownloadFileAsync(repoId, "merges.txt", progress, ct).ConfigureAwait(false);
        string? bpe = vocab is not null && merges is not null
            ? null
            : await hub.TryDownloadFileAsync(repoId, BpeVocabularyFile, progress, ct).ConfigureAwait(false);
        return new ClipPretrainedFiles
        {
            Source = repoId, Layout = layout.Value, ConfigPath = config, WeightsPath = weights, PreprocessorConfigPath = preprocessor,
            VocabPath = merges is null ? null : vocab, MergesPath = merges, BpeGzPath = bpe,
        };
    }

    private static ClipPretrainedException NoCheckpoint(string source, string[]? found, IReadOnlyCollection<string> pickles)
    {
        string expected = $"expected {OpenClipConfigFile} + {OpenClipWeightsFile} (OpenCLIP) or {HuggingFaceConfigFile} + {HuggingFaceWeightsFile} " +
            $"(Hugging Face; or {HuggingFaceShardIndexFile} and its shards)";
        if (pickles.Count > 0)
        {
            string pickle = pickles.First();
            return new ClipPretrainedException(source,
                $"'{source}' has only PyTorch pickle weights ({string.Join(", ", pickles)}); {expected}. EdSam never unpickles files " +
                "(loading a pickle can run arbitrary code). Convert once in Python: " +
                $"python -c \"import torch, safetensors.torch; safetensors.torch.save_file(torch.load('{pickle}', map_location='cpu', weights_only=True), " +
                $"'{(pickle.StartsWith("open_clip", StringComparison.Ordinal) ? OpenClipWeightsFile : HuggingFaceWeightsFile)}')\" " +
                "and put the .safetensors file beside the config (or use ClipModel.FromPretrained(config, weightsPath)).");
        }
        string listing = found is null ? "" : $" Found: {(found.Length == 0 ? "nothing" : string.Join(", ", found))}.";
        return new ClipPretrainedException(source, $"'{source}' has no CLIP checkpoint EdSam can load: {expected}.{listing}");
    }

    private static bool LooksLikePath(string value)
        => Path.IsPathRooted(value) || value.StartsWith('.') || value.StartsWith('~') || value.Contains('\\')
           || value.Count(c => c == '/') > 1;
}
