using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using EdSam.IO;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>
/// Writes and restores training checkpoints in a folder, so that an interrupted <c>Fit</c> resumes exactly where it
/// stopped: resumed training produces the same losses and weights as uninterrupted training on CPU.
/// </summary>
/// <remarks>
/// <para>Each checkpoint is a folder <c>step-000123/</c> (the number of completed optimisation steps) holding:</para>
/// <list type="bullet">
/// <item><c>&lt;module&gt;.safetensors</c> per module: its <c>state_dict()</c>, parameters and persistent buffers (BatchNorm running statistics).</item>
/// <item><c>&lt;state&gt;.safetensors</c> per extra state (<see cref="ICheckpointState"/>: EMA shadows, weight averages).</item>
/// <item><c>optimizer.safetensors</c> + <c>optimizer.json</c>: every optimiser state tensor (<c>exp_avg</c>, <c>exp_avg_sq</c>, <c>momentum_buffer</c>, …) and every hyper-parameter and scalar (<c>step</c>, current learning rate).</item>
/// <item><c>rng.safetensors</c>: the state of torch's default CPU generator (dropout, <c>torch.randn</c> without a generator) and of each trainer-owned generator.</item>
/// <item><c>state.json</c>, written last: format version, step, learning rates, the file list and the trainer's own JSON state.</item>
/// </list>
/// <para>The folder is first written as <c>.tmp-step-…</c> and renamed when complete, so a crash never leaves a partial
/// checkpoint under a real name. After each save only the newest <see cref="CheckpointOptions.KeepLast"/> checkpoints are
/// kept. One trainer (process) writes a given folder at a time.</para>
/// <para>Loading reads and validates everything (files, keys, shapes, dtypes, optimiser type and hyper-parameters) before
/// changing a single tensor, so a failed load leaves the model, optimiser and generators untouched; extra states are
/// checked by their own <see cref="ICheckpointState.LoadStateDict"/>, which runs first. CUDA generator states are not
/// saved: determinism is promised on CPU.</para>
/// </remarks>
public sealed class CheckpointManager
{
    /// <summary>The version written into <c>state.json</c> (<c>format_version</c>).</summary>
    public const int FormatVersion = 1;

    private const string StateFileName = "state.json";
    private const string RngFileName = "rng.safetensors";
    private const string DefaultGeneratorKey = "torch.default";
    private const string FolderPrefix = "step-";
    private static readonly Regex FolderPattern = new(@"^step-(\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex NamePattern = new(@"^[A-Za-z0-9_.\-]+$", RegexOptions.CultureInvariant);
    private static readonly string[] ReservedNames = ["optimizer", "rng", "state"];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly ILogger? _logger;

    /// <summary>Creates a manager over <see cref="CheckpointOptions.Directory"/> (created when missing).</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public CheckpointManager(CheckpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Directory = Path.GetFullPath(options.Directory);
        _logger = options.Logger;
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The options this manager was created with.</summary>
    public CheckpointOptions Options { get; }

    /// <summary>The full path of the checkpoint folder.</summary>
    public string Directory { get; }

    /// <summary>The checkpoint most recently written or restored by this manager; null before either. Trainers pass it to
    /// <see cref="NonFiniteLossException"/>.</summary>
    public string? LastCheckpointPath { get; private set; }

    /// <summary>Lists the checkpoint folders (complete or not), oldest first by step.</summary>
    public IReadOnlyList<CheckpointInfo> List()
    {
        var found = new List<CheckpointInfo>();
        foreach (string path in System.IO.Directory.EnumerateDirectories(Directory))
        {
            var match = FolderPattern.Match(Path.GetFileName(path));
            if (match.Success && long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long step))
                found.Add(new CheckpointInfo(step, path));
        }
        return found.OrderBy(c => c.Step).ToList();
    }

    /// <summary>Writes a checkpoint atomically and deletes the ones beyond <see cref="CheckpointOptions.KeepLast"/>.</summary>
    /// <typeparam name="TState">The trainer's state type; serialised with System.Text.Json.</typeparam>
    /// <param name="step">The number of optimisation steps completed (training resumes at this step); ≥ 0.</param>
    /// <param name="contents">The modules, optimiser, generators and extra states to save.</param>
    /// <param name="trainerState">The trainer's own state (epoch, data position, best validation loss, …).</param>
    /// <returns>The full path of the checkpoint folder.</returns>
    /// <exception cref="ArgumentException">A name in <paramref name="contents"/> is not a valid, unique file name, or <paramref name="step"/> is negative.</exception>
    public string Save<TState>(long step, CheckpointContents contents, TState trainerState)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ValidateNames(contents);

        string finalPath = Path.Combine(Directory, FolderPrefix + step.ToString("D6", CultureInfo.InvariantCulture));
        string tempPath = Path.Combine(Directory, $".tmp-{Path.GetFileName(finalPath)}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(tempPath);
        try
        {
            foreach (var (name, module) in contents.Modules)
                SafeTensors.Save(Path.Combine(tempPath, name + ".safetensors"), module.state_dict());
            foreach (var (name, state) in contents.States)
                SafeTensors.Save(Path.Combine(tempPath, name + ".safetensors"), state.StateDict());
            if (contents.Optimizer is not null) OptimizerStateFile.Save(tempPath, contents.Optimizer);
            SaveGenerators(tempPath, contents);

            var file = new StateFile
            {
                FormatVersion = FormatVersion,
                Step = step,
                SavedUtc = DateTime.UtcNow,
                LearningRates = contents.Optimizer is null ? [] : OptimizerStateFile.LearningRates(contents.Optimizer).ToList(),
                Modules = contents.Modules.Keys.ToList(),
                States = contents.States.Keys.ToList(),
                Generators = contents.Generators.Keys.ToList(),
                Optimizer = contents.Optimizer?.GetType().FullName,
                TrainerState = JsonSerializer.SerializeToElement(trainerState, Json),
            };
            WriteDurably(Path.Combine(tempPath, StateFileName), JsonSerializer.SerializeToUtf8Bytes(file, Json));
            Publish(tempPath, finalPath);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }

        LastCheckpointPath = finalPath;
        var newer = List().Where(c => c.Step > step).Select(c => Path.GetFileName(c.Path)).ToList();
        if (newer.Count > 0)
            _logger?.LogWarning("Saved {Path}, but the folder also holds later checkpoints ({Newer}) from an earlier run; " +
                                "TryLoadLatest would resume from those. Delete them or use another Directory if this run replaces them.",
                                finalPath, string.Join(", ", newer));
        Prune(keep: finalPath);
        return finalPath;
    }

    /// <summary>
    /// Restores the newest usable checkpoint into <paramref name="contents"/>. Corrupt or incomplete checkpoints are
    /// skipped with a logged warning, falling back to the previous one.
    /// </summary>
    /// <typeparam name="TState">The trainer's state type.</typeparam>
    /// <param name="contents">Freshly built modules, optimiser, generators and states to restore into (same names as when saved).</param>
    /// <returns>The restored checkpoint, or null when the folder holds no usable checkpoint (start from scratch).</returns>
    /// <exception cref="CheckpointException">
    /// The newest intact checkpoint does not fit <paramref name="contents"/> (<see cref="CheckpointProblem.Incompatible"/>):
    /// resuming a different model or optimiser is refused rather than silently restarting.
    /// </exception>
    public LoadedCheckpoint<TState>? TryLoadLatest<TState>(CheckpointContents contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        foreach (var checkpoint in List().Reverse())
        {
            try
            {
                return Load<TState>(checkpoint.Path, contents);
            }
            catch (CheckpointException e) when (e.Problem == CheckpointProblem.Corrupt)
            {
                _logger?.LogWarning(e, "Skipping checkpoint {Path}: {Reason} Falling back to the previous checkpoint.", checkpoint.Path, e.Message);
            }
        }
        return null;
    }

    /// <summary>Restores one specific checkpoint folder into <paramref name="contents"/>.</summary>
    /// <typeparam name="TState">The trainer's state type.</typeparam>
    /// <param name="checkpointPath">A <c>step-…</c> folder (written by <see cref="Save{TState}"/>).</param>
    /// <param name="contents">Modules, optimiser, generators and states to restore into.</param>
    /// <returns>The restored step, trainer state and path.</returns>
    /// <exception cref="CheckpointException">The checkpoint is corrupt/incomplete or does not fit <paramref name="contents"/>; nothing was changed.</exception>
    public LoadedCheckpoint<TState> Load<TState>(string checkpointPath, CheckpointContents contents)
    {
        ArgumentNullException.ThrowIfNull(checkpointPath);
        ArgumentNullException.ThrowIfNull(contents);
        ValidateNames(contents);
        string path = Path.GetFullPath(checkpointPath);
        if (!System.IO.Directory.Exists(path)) throw Corrupt(path, "the folder does not exist.");

        using var scope = torch.NewDisposeScope();
        // 1. Read and validate everything; nothing is modified until all of it is known to be good.
        var file = ReadStateFile(path);
        CheckListed(path, "module", file.Modules, contents.Modules.Keys);
        CheckListed(path, "state", file.States, contents.States.Keys);
        CheckListed(path, "generator", file.Generators, contents.Generators.Keys);
        if ((file.Optimizer is null) != (contents.Optimizer is null))
            throw Incompatible(path, file.Optimizer is null
                ? "it holds no optimizer state, but an optimizer was given to restore."
                : $"it holds {file.Optimizer} state, but no optimizer was given to restore.");

        var moduleTensors = contents.Modules.ToDictionary(m => m.Key, m => ReadModule(path, m.Key, m.Value));
        var stateTensors = contents.States.ToDictionary(s => s.Key, s => ReadTensors(path, s.Key + ".safetensors"));
        var optimizer = contents.Optimizer is null ? null : OptimizerStateFile.Read(path, contents.Optimizer);
        var rng = ReadTensors(path, RngFileName);
        foreach (string key in contents.Generators.Keys.Select(GeneratorKey).Prepend(DefaultGeneratorKey))
            if (!rng.ContainsKey(key)) throw Corrupt(path, $"{RngFileName} lacks the generator state '{key}'.");
        TState trainerState;
        try
        {
            trainerState = file.TrainerState.Deserialize<TState>(Json)!;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw Incompatible(path, $"the trainer state in {StateFileName} cannot be read as {typeof(TState).Name}: {e.Message}");
        }

        // 2. Apply. Extra states first: they validate inside LoadStateDict, so a misfit stops before modules change.
        foreach (var (name, state) in contents.States)
        {
            try
            {
                state.LoadStateDict(stateTensors[name]);
            }
            catch (ArgumentException e)
            {
                throw Incompatible(path, $"{name}.safetensors does not fit the '{name}' state: {e.Message}");
            }
        }
        using (torch.no_grad())
        {
            foreach (var (name, module) in contents.Modules)
            {
                var targets = module.state_dict();
                foreach (var (key, source) in moduleTensors[name]) targets[key].copy_(source);
            }
        }
        if (optimizer is not null) OptimizerStateFile.Apply(optimizer, contents.Optimizer!);
        torch.set_rng_state(rng[DefaultGeneratorKey]);
        foreach (var (name, generator) in contents.Generators) generator.set_state(rng[GeneratorKey(name)]);

        LastCheckpointPath = path;
        return new LoadedCheckpoint<TState>(file.Step, trainerState, path);
    }

    private static string GeneratorKey(string name) => "generator." + name;

    private static void SaveGenerators(string folder, CheckpointContents contents)
    {
        using var scope = torch.NewDisposeScope();
        var states = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [DefaultGeneratorKey] = torch.get_rng_state() };
        foreach (var (name, generator) in contents.Generators) states[GeneratorKey(name)] = generator.get_state();
        SafeTensors.Save(Path.Combine(folder, RngFileName), states);
    }

    private StateFile ReadStateFile(string path)
    {
        string statePath = Path.Combine(path, StateFileName);
        if (!File.Exists(statePath)) throw Corrupt(path, $"{StateFileName} is missing (the checkpoint was never completed).");
        StateFile? file;
        try
        {
            file = JsonSerializer.Deserialize<StateFile>(File.ReadAllBytes(statePath), Json);
        }
        catch (JsonException e)
        {
            throw Corrupt(path, $"{StateFileName} is not valid JSON: {e.Message}", e);
        }
        if (file is null) throw Corrupt(path, $"{StateFileName} holds null.");
        if (file.FormatVersion != FormatVersion)
            throw Corrupt(path, $"{StateFileName} has format_version {file.FormatVersion}; this EdSam reads version {FormatVersion}.");
        if (file.Step < 0) throw Corrupt(path, $"{StateFileName} has a negative step ({file.Step}).");
        return file;
    }

    private static Dictionary<string, Tensor> ReadModule(string path, string name, nn.Module module)
    {
        var tensors = ReadTensors(path, name + ".safetensors");
        var targets = module.state_dict();
        var missing = targets.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        var unexpected = tensors.Keys.Where(k => !targets.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw Incompatible(path, $"{name}.safetensors does not match module '{name}': " +
                                     $"missing keys [{string.Join(", ", missing.Take(10))}], unexpected keys [{string.Join(", ", unexpected.Take(10))}].");
        foreach (var (key, target) in targets)
        {
            var source = tensors[key];
            if (!source.shape.SequenceEqual(target.shape) || source.dtype != target.dtype)
                throw Incompatible(path, $"{name}.safetensors '{key}' is {source.dtype} [{string.Join(", ", source.shape)}], " +
                                         $"module '{name}' expects {target.dtype} [{string.Join(", ", target.shape)}].");
        }
        return tensors;
    }

    private static Dictionary<string, Tensor> ReadTensors(string path, string fileName)
    {
        string file = Path.Combine(path, fileName);
        if (!File.Exists(file)) throw Corrupt(path, $"{fileName} is missing.");
        try
        {
            return SafeTensors.Load(file);
        }
        catch (Exception e) when (e is SafeTensorsFormatException or IOException)
        {
            throw Corrupt(path, $"{fileName} cannot be read: {e.Message}", e);
        }
    }

    private static void CheckListed(string path, string kind, IReadOnlyList<string> saved, IEnumerable<string> requested)
    {
        var missing = requested.Where(r => !saved.Contains(r)).ToList();
        if (missing.Count > 0)
            throw Incompatible(path, $"it holds no {kind} named {string.Join(", ", missing.Select(m => $"'{m}'"))} " +
                                     $"(saved {kind}s: {(saved.Count == 0 ? "none" : string.Join(", ", saved))}).");
    }

    private static void ValidateNames(CheckpointContents contents)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in contents.Modules.Keys.Concat(contents.States.Keys))
        {
            if (!NamePattern.IsMatch(name) || name is "." or "..")
                throw new ArgumentException($"Checkpoint name '{name}' must use only letters, digits, '_', '-' and '.' (it becomes a file name).", nameof(contents));
            if (ReservedNames.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"Checkpoint name '{name}' is reserved (optimizer, rng, state).", nameof(contents));
            if (!seen.Add(name))
                throw new ArgumentException($"Checkpoint name '{name}' is used twice across Modules and States.", nameof(contents));
        }
        foreach (string name in contents.Generators.Keys)
            if (!NamePattern.IsMatch(name))
                throw new ArgumentException($"Generator name '{name}' must use only letters, digits, '_', '-' and '.'.", nameof(contents));
    }

    private static void WriteDurably(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Renames the finished temporary folder to its final name, replacing an older checkpoint of the same step.</summary>
    private static void Publish(string tempPath, string finalPath)
    {
        if (System.IO.Directory.Exists(finalPath))
        {
            string retired = finalPath + $".old-{Guid.NewGuid():N}";
            System.IO.Directory.Move(finalPath, retired);
            System.IO.Directory.Move(tempPath, finalPath);
            TryDelete(retired);
        }
        else
        {
            System.IO.Directory.Move(tempPath, finalPath);
        }
    }

    private void Prune(string keep)
    {
        var all = List();
        foreach (var old in all.Take(Math.Max(0, all.Count - Options.KeepLast)))
            if (!string.Equals(old.Path, keep, StringComparison.Ordinal)) TryDelete(old.Path);
        // Leftovers of crashed saves (never visible as checkpoints) are removed too.
        foreach (string stale in System.IO.Directory.EnumerateDirectories(Directory, ".tmp-step-*")
                     .Concat(System.IO.Directory.EnumerateDirectories(Directory, "step-*.old-*")))
            TryDelete(stale);
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (System.IO.Directory.Exists(path)) System.IO.Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a folder that cannot be deleted now is retried after the next save.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static CheckpointException Corrupt(string path, string message, Exception? inner = null) =>
        new(path, CheckpointProblem.Corrupt, message, inner);

    private static CheckpointException Incompatible(string path, string message) =>
        new(path, CheckpointProblem.Incompatible, message);

    private sealed class StateFile
    {
        [JsonPropertyName("format_version")] public int FormatVersion { get; set; }
        [JsonPropertyName("step")] public long Step { get; set; }
        [JsonPropertyName("saved_utc")] public DateTime SavedUtc { get; set; }
        [JsonPropertyName("learning_rates")] public List<double> LearningRates { get; set; } = [];
        [JsonPropertyName("modules")] public List<string> Modules { get; set; } = [];
        [JsonPropertyName("states")] public List<string> States { get; set; } = [];
        [JsonPropertyName("generators")] public List<string> Generators { get; set; } = [];
        [JsonPropertyName("optimizer")] public string? Optimizer { get; set; }
        [JsonPropertyName("trainer_state")] public JsonElement TrainerState { get; set; }
    }
}
