using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdSam.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>
/// Saves and restores the complete state of a TorchSharp managed optimiser (<c>Adam</c>, <c>AdamW</c>, <c>SGD</c>, …)
/// as two readable files: <c>optimizer.safetensors</c> (every per-parameter state tensor, keyed
/// <c>state.&lt;i&gt;.&lt;field&gt;</c>, e.g. <c>state.0.exp_avg</c>) and <c>optimizer.json</c> (optimiser type,
/// per-group hyper-parameters including the current learning rate, and per-parameter scalars such as <c>step</c>).
/// </summary>
/// <remarks>
/// TorchSharp 0.107 keeps optimiser state in public fields of nested <c>State</c>/<c>Options</c> classes
/// (<c>AdamW.State.exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c>, <c>step</c>; <c>SGD.State.momentum_buffer</c>;
/// <c>OptimizerOptions.LearningRate</c>, <c>beta1</c>, …), reached through <c>OptimizerHelper.state_dict()</c> in parameter
/// order. Reading those fields generically keeps every optimiser working without a per-type table, and names the
/// tensors like PyTorch does. TorchSharp's own <c>save_state_dict(BinaryWriter)</c> would also round-trip, but is an
/// undocumented binary layout that breaks silently across versions.
/// </remarks>
internal static class OptimizerStateFile
{
    public const string TensorFileName = "optimizer.safetensors";
    public const string JsonFileName = "optimizer.json";
    private const int FormatVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes <c>optimizer.safetensors</c> and <c>optimizer.json</c> into <paramref name="folder"/>.</summary>
    public static void Save(string folder, optim.Optimizer optimizer)
    {
        var helper = AsHelper(optimizer);
        var stateDict = helper.state_dict();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var file = new OptimizerFile { FormatVersion = FormatVersion, Type = helper.GetType().FullName! };

        foreach (var options in stateDict.Options) file.ParamGroups.Add(ReadScalars(options));
        for (int i = 0; i < stateDict.State.Count; i++)
        {
            var state = stateDict.State[i];
            var entry = new StateEntry { Scalars = ReadScalars(state) };
            foreach (var field in TensorFields(state.GetType()))
            {
                if (field.GetValue(state) is Tensor tensor && !tensor.IsInvalid)
                {
                    tensors[$"state.{i}.{field.Name}"] = tensor;
                    entry.Tensors.Add(field.Name);
                }
            }
            file.States.Add(entry);
        }

        SafeTensors.Save(Path.Combine(folder, TensorFileName), tensors);
        File.WriteAllText(Path.Combine(folder, JsonFileName), JsonSerializer.Serialize(file, Json));
    }

    /// <summary>Reads and validates the optimiser files against <paramref name="optimizer"/> without changing it.</summary>
    /// <exception cref="CheckpointException">The files are missing/corrupt, or belong to another optimiser or model.</exception>
    public static Staged Read(string folder, optim.Optimizer optimizer)
    {
        var helper = AsHelper(optimizer);
        string jsonPath = Path.Combine(folder, JsonFileName);
        string tensorPath = Path.Combine(folder, TensorFileName);
        if (!File.Exists(jsonPath)) throw Corrupt(folder, $"{JsonFileName} is missing.");
        if (!File.Exists(tensorPath)) throw Corrupt(folder, $"{TensorFileName} is missing.");

        OptimizerFile file;
        try
        {
            file = JsonSerializer.Deserialize<OptimizerFile>(File.ReadAllText(jsonPath), Json)
                   ?? throw new JsonException("the file holds null.");
        }
        catch (JsonException e)
        {
            throw Corrupt(folder, $"{JsonFileName} is not valid JSON: {e.Message}", e);
        }
        if (file.FormatVersion != FormatVersion)
            throw Corrupt(folder, $"{JsonFileName} has format_version {file.FormatVersion}; this EdSam reads version {FormatVersion}.");

        var current = helper.state_dict();
        string type = helper.GetType().FullName!;
        if (file.Type != type)
            throw Incompatible(folder, $"the optimizer state is for {file.Type}, but the optimizer being restored is {type}.");
        if (file.ParamGroups.Count != current.Options.Count)
            throw Incompatible(folder, $"the optimizer state has {file.ParamGroups.Count} parameter group(s), the optimizer has {current.Options.Count}.");
        if (file.States.Count != current.State.Count)
            throw Incompatible(folder, $"the optimizer state covers {file.States.Count} parameter(s), the optimizer has {current.State.Count}.");

        Dictionary<string, Tensor> tensors;
        try
        {
            tensors = SafeTensors.Load(tensorPath);
        }
        catch (Exception e) when (e is SafeTensorsFormatException or IOException)
        {
            throw Corrupt(folder, $"{TensorFileName} cannot be read: {e.Message}", e);
        }

        for (int g = 0; g < current.Options.Count; g++) CheckScalars(current.Options[g], file.ParamGroups[g], folder, $"parameter group {g}");
        for (int i = 0; i < current.State.Count; i++) CheckScalars(current.State[i], file.States[i].Scalars, folder, $"parameter {i}");

        var parameters = helper.parameters().ToList();
        for (int i = 0; i < file.States.Count; i++)
        {
            foreach (string name in file.States[i].Tensors)
            {
                string key = $"state.{i}.{name}";
                if (!tensors.TryGetValue(key, out var tensor))
                    throw Corrupt(folder, $"{TensorFileName} lacks the tensor '{key}' listed in {JsonFileName}.");
                if (i < parameters.Count && !tensor.shape.SequenceEqual(parameters[i].shape))
                    throw Incompatible(folder, $"optimizer tensor '{key}' has shape [{string.Join(", ", tensor.shape)}], " +
                                               $"but parameter {i} has shape [{string.Join(", ", parameters[i].shape)}].");
            }
        }
        return new Staged(file, tensors, folder);
    }

    /// <summary>Copies a validated state into the optimiser (hyper-parameters, scalars and tensors).</summary>
    public static void Apply(Staged staged, optim.Optimizer optimizer)
    {
        var stateDict = AsHelper(optimizer).state_dict();
        for (int g = 0; g < stateDict.Options.Count; g++) WriteScalars(stateDict.Options[g], staged.File.ParamGroups[g], staged.Folder);

        using var noGrad = torch.no_grad();
        for (int i = 0; i < stateDict.State.Count; i++)
        {
            var state = stateDict.State[i];
            var entry = staged.File.States[i];
            WriteScalars(state, entry.Scalars, staged.Folder);
            foreach (var field in TensorFields(state.GetType()))
            {
                var existing = field.GetValue(state) as Tensor;
                if (!entry.Tensors.Contains(field.Name))
                {
                    // Saved as absent (e.g. SGD momentum before its first step): make it absent again.
                    existing?.Dispose();
                    field.SetValue(state, null);
                    continue;
                }
                var loaded = staged.Tensors[$"state.{i}.{field.Name}"];
                if (existing is not null && !existing.IsInvalid && existing.shape.SequenceEqual(loaded.shape) && existing.dtype == loaded.dtype)
                {
                    existing.copy_(loaded);
                }
                else
                {
                    var device = existing is not null && !existing.IsInvalid ? existing.device : loaded.device;
                    var replacement = loaded.to(device, copy: true).DetachFromDisposeScope();
                    existing?.Dispose();
                    field.SetValue(state, replacement);
                }
            }
        }
    }

    /// <summary>The learning rate of every parameter group, as saved.</summary>
    public static IReadOnlyList<double> LearningRates(optim.Optimizer optimizer) =>
        optimizer.ParamGroups.Select(g => g.LearningRate).ToList();

    private static OptimizerHelper AsHelper(optim.Optimizer optimizer) =>
        optimizer as OptimizerHelper ?? throw new NotSupportedException(
            $"Checkpointing needs a managed TorchSharp optimizer (Adam, AdamW, SGD, … deriving from OptimizerHelper); {optimizer.GetType().FullName} keeps its state in native code.");

    private static IEnumerable<FieldInfo> TensorFields(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Instance).Where(f => f.FieldType == typeof(Tensor)).OrderBy(f => f.Name, StringComparer.Ordinal);

    private static IEnumerable<MemberInfo> ScalarMembers(Type type)
    {
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance).OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            if (field.FieldType == typeof(Tensor)) continue;
            if (!IsScalar(field.FieldType))
                throw new NotSupportedException($"Optimizer state {type.FullName}.{field.Name} has type {field.FieldType.Name}, which EdSam cannot checkpoint.");
            yield return field;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
            if (property.CanRead && property.CanWrite && property.GetIndexParameters().Length == 0 && IsScalar(property.PropertyType))
                yield return property;
    }

    private static bool IsScalar(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(double) || t == typeof(float) || t == typeof(long) || t == typeof(int) || t == typeof(bool);
    }

    private static Dictionary<string, JsonElement> ReadScalars(object target)
    {
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in ScalarMembers(target.GetType()))
        {
            object? value = member is FieldInfo f ? f.GetValue(target) : ((PropertyInfo)member).GetValue(target);
            values[member.Name] = JsonSerializer.SerializeToElement(value, Json);
        }
        return values;
    }

    /// <summary>Checks that every scalar the target needs is present and of the right type, so applying cannot fail half-way.</summary>
    private static void CheckScalars(object target, Dictionary<string, JsonElement> values, string folder, string owner)
    {
        foreach (var member in ScalarMembers(target.GetType()))
        {
            if (!values.TryGetValue(member.Name, out var element))
                throw Incompatible(folder, $"{JsonFileName} lacks '{member.Name}' for {owner} ({target.GetType().FullName}).");
            var type = member is FieldInfo f ? f.FieldType : ((PropertyInfo)member).PropertyType;
            try
            {
                object? value = element.Deserialize(type, Json);
                if (value is null && Nullable.GetUnderlyingType(type) is null)
                    throw new JsonException("null is not allowed here.");
            }
            catch (JsonException e)
            {
                throw Corrupt(folder, $"{JsonFileName} '{member.Name}' of {owner} is not a valid {type.Name}: {e.Message}", e);
            }
        }
    }

    private static void WriteScalars(object target, Dictionary<string, JsonElement> values, string folder)
    {
        foreach (var member in ScalarMembers(target.GetType()))
        {
            if (!values.TryGetValue(member.Name, out var element))
                throw Incompatible(folder, $"{JsonFileName} lacks '{member.Name}' of {target.GetType().FullName}.");
            var type = member is FieldInfo f ? f.FieldType : ((PropertyInfo)member).PropertyType;
            object? value = element.Deserialize(type, Json);
            if (member is FieldInfo field) field.SetValue(target, value);
            else ((PropertyInfo)member).SetValue(target, value);
        }
    }

    private static CheckpointException Corrupt(string folder, string message, Exception? inner = null) =>
        new(folder, CheckpointProblem.Corrupt, message, inner);

    private static CheckpointException Incompatible(string folder, string message) =>
        new(folder, CheckpointProblem.Incompatible, message);

    /// <summary>A read, validated optimiser state not yet applied. Owns <see cref="Tensors"/>.</summary>
    internal sealed record Staged(OptimizerFile File, Dictionary<string, Tensor> Tensors, string Folder);

    internal sealed class OptimizerFile
    {
        [JsonPropertyName("format_version")] public int FormatVersion { get; set; }
        [JsonPropertyName("type")] public string Type { get; set; } = "";
        [JsonPropertyName("param_groups")] public List<Dictionary<string, JsonElement>> ParamGroups { get; set; } = [];
        [JsonPropertyName("states")] public List<StateEntry> States { get; set; } = [];
    }

    internal sealed class StateEntry
    {
        [JsonPropertyName("scalars")] public Dictionary<string, JsonElement> Scalars { get; set; } = [];
        [JsonPropertyName("tensors")] public List<string> Tensors { get; set; } = [];
    }
}
