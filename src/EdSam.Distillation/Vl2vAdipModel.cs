using System.Text.Json;
using System.Text.Json.Serialization;
using EdSam.Clip;
using EdSam.Data;
using EdSam.Data.Augmentation;
using EdSam.Distillation.Heads;
using EdSam.Distillation.Students;
using EdSam.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Distillation;

/// <summary>
/// A model trained by <see cref="Vl2vAdipTrainer"/>: the student backbone, its head and — for VL2V-ADiP and VL2V-SD —
/// the fixed text classifier T_c, with the class names, the input preprocessing and the training history. Predictions of
/// the distilled models are logits = 100 · cos(z, T_c) with z the student embedding; no learned classifier.
/// </summary>
/// <remarks>
/// Tensor inputs are student inputs: pixels resized/cropped to <see cref="ImageSize"/> and normalised with
/// <see cref="Normalization"/>. The path and <see cref="Example"/> overloads do that themselves. Dispose the model to
/// free its weights.
/// </remarks>
public sealed class Vl2vAdipModel : IDisposable
{
    private const string WeightsFile = "model.safetensors";
    private const string MetadataFile = "model.json";
    private const string FormatName = "edsam.vl2v-adip-model";
    private const int FormatVersion = 1;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    private readonly DistillationNetwork _network;
    private readonly TextClassifierHead? _textHead;

    internal Vl2vAdipModel(DistillationMethod method, StudentArchitecture? student, ClipConfig? clipConfig, DistillationNetwork network,
        TextClassifierHead? textHead, IReadOnlyList<string> classNames, int imageSize, Normalize normalization, Vl2vAdipHistory history)
    {
        Method = method;
        Student = student;
        ClipConfig = clipConfig;
        _network = network;
        _textHead = textHead;
        ClassNames = classNames;
        ImageSize = imageSize;
        Normalization = normalization;
        History = history;
        _network.eval();
    }

    /// <summary>The method that trained the model.</summary>
    public DistillationMethod Method { get; }

    /// <summary>The student architecture; null for VL2V-SD (the student is a CLIP image encoder, see <see cref="ClipConfig"/>).</summary>
    public StudentArchitecture? Student { get; }

    /// <summary>The CLIP configuration of a VL2V-SD student; null otherwise.</summary>
    public ClipConfig? ClipConfig { get; }

    /// <summary>Class names, index = label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Side of the square input in pixels.</summary>
    public int ImageSize { get; }

    /// <summary>The per-channel normalisation of the student's input.</summary>
    public Normalize Normalization { get; }

    /// <summary>Per-evaluation validation accuracy and loss, and the SWAD window of each stage.</summary>
    public Vl2vAdipHistory History { get; }

    /// <summary>The fixed text classifier T_c (rows L2-normalised, <c>[classes, D]</c>); null for the ERM/KD baselines.</summary>
    public Tensor? ClassEmbeddings => _textHead?.ClassEmbeddings;

    internal DistillationNetwork Network => _network;

    internal TextClassifierHead? TextHead => _textHead;

    /// <summary>The student embeddings z = P(f(x)) / ‖P(f(x))‖ (VL2V-SD: the normalised image embedding).</summary>
    /// <param name="images">Normalised input <c>[N, 3, ImageSize, ImageSize]</c>.</param>
    /// <returns>Float <c>[N, D]</c> unit rows.</returns>
    /// <exception cref="InvalidOperationException">The model is an ERM/KD baseline (no embedding space).</exception>
    public Tensor Embed(Tensor images)
    {
        if (_textHead is null) throw new InvalidOperationException($"A {Method} model has a linear classifier, not a teacher-aligned embedding.");
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(nn.functional.normalize(_network.call(images), dim: -1));
    }

    /// <summary>Class logits: 100 · cos(z, T_c) for the distilled models, the linear head's output for the baselines.</summary>
    /// <param name="images">Normalised input <c>[N, 3, ImageSize, ImageSize]</c>.</param>
    /// <returns>Float <c>[N, classes]</c>.</returns>
    public Tensor Logits(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var output = _network.call(images);
        return scope.MoveToOuter(_textHead is null ? output : _textHead.call(output));
    }

    /// <summary>Class probabilities: softmax of <see cref="Logits"/>.</summary>
    /// <param name="images">Normalised input <c>[N, 3, ImageSize, ImageSize]</c>.</param>
    /// <returns>Float <c>[N, classes]</c>, rows summing to 1.</returns>
    public Tensor PredictProba(Tensor images)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(Logits(images).softmax(-1));
    }

    /// <summary>The most likely class: argmax of <see cref="Logits"/>.</summary>
    /// <param name="images">Normalised input <c>[N, 3, ImageSize, ImageSize]</c>.</param>
    /// <returns>Int64 class indices <c>[N]</c>.</returns>
    public Tensor Predict(Tensor images)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(Logits(images).argmax(-1));
    }

    /// <summary>Decodes, resizes, centre-crops, normalises and classifies image files.</summary>
    /// <param name="paths">Image files.</param>
    /// <returns>The predicted class name of each file.</returns>
    /// <exception cref="EdSam.Imaging.ImageDecodeException">A file is not a readable image.</exception>
    public IReadOnlyList<string> Predict(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var examples = paths.Select(p => new Example(p, ImageSource.FromFile(p))).ToArray();
        var names = new List<string>(examples.Length);
        DistillationData.ForEachBatch(examples, ImageSize, 64, Device, (_, _, images) =>
        {
            var predicted = Predict(DistillationData.Normalized(images, Normalization));
            names.AddRange(predicted.data<long>().ToArray().Select(i => ClassNames[(int)i]));
        });
        return names;
    }

    /// <summary>Top-1 accuracy on labelled examples (resized and centre-cropped, never augmented), overall and per domain.</summary>
    /// <param name="examples">Examples with labels (for example <c>DomainSplit.Test</c>).</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The accuracies.</returns>
    /// <exception cref="ArgumentException">No examples, or an example without a label.</exception>
    public ClassificationResult Evaluate(IReadOnlyList<Example> examples, int batchSize = 64, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        return DistillationData.Accuracy(examples, ImageSize, batchSize, Device,
            images => Predict(DistillationData.Normalized(images, Normalization)), cancellationToken);
    }

    /// <summary>Saves the model to a folder: <c>model.safetensors</c> (weights and T_c) and <c>model.json</c> (everything else), each written atomically.</summary>
    /// <param name="directory">The folder (created when missing; existing model files are replaced).</param>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in _network.state_dict()) tensors["network." + key] = tensor;
        if (_textHead is not null) tensors["text_head.class_embeddings"] = _textHead.ClassEmbeddings;
        SafeTensors.Save(Path.Combine(directory, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = FormatName });

        var metadata = new ModelFile
        {
            Format = FormatName,
            FormatVersion = FormatVersion,
            Method = Method,
            Student = Student,
            ClipConfig = ClipConfig,
            FeatureDim = _network.Backbone.FeatureDim,
            EmbedDim = (_network.Head as AlignHead)?.TeacherDim,
            ClassNames = ClassNames.ToList(),
            ImageSize = ImageSize,
            Mean = Normalization.Mean.ToList(),
            Std = Normalization.Std.ToList(),
            TextScale = _textHead?.Scale,
            History = History,
        };
        AtomicFile.WriteAllBytes(Path.Combine(directory, MetadataFile), JsonSerializer.SerializeToUtf8Bytes(metadata, Json));
    }

    /// <summary>Loads a model written by <see cref="Save"/>.</summary>
    /// <param name="directory">The folder holding <c>model.json</c> and <c>model.safetensors</c>.</param>
    /// <param name="device">Where to put the model; null for the CPU.</param>
    /// <returns>The model, in eval mode.</returns>
    /// <exception cref="FileNotFoundException">A model file is missing.</exception>
    /// <exception cref="FormatException">The files are not an EdSam VL2V-ADiP model or do not fit together (the message names the field or key).</exception>
    public static Vl2vAdipModel Load(string directory, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string metadataPath = Path.Combine(directory, MetadataFile), weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(metadataPath)) throw new FileNotFoundException($"No VL2V-ADiP model here: '{metadataPath}' is missing.", metadataPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"The model's weights '{weightsPath}' are missing.", weightsPath);
        ModelFile file;
        try
        {
            file = JsonSerializer.Deserialize<ModelFile>(File.ReadAllBytes(metadataPath), Json)
                   ?? throw new FormatException($"'{metadataPath}' is empty.");
        }
        catch (JsonException e)
        {
            throw new FormatException($"'{metadataPath}' is not a valid model description: {e.Message}", e);
        }
        if (file.Format != FormatName || file.FormatVersion != FormatVersion)
            throw new FormatException($"'{metadataPath}' has format '{file.Format}' version {file.FormatVersion}; expected '{FormatName}' version {FormatVersion}.");
        if (file.ClassNames is not { Count: > 0 }) throw new FormatException($"'{metadataPath}': class_names is missing or empty.");
        if (file.Mean is not { Count: 3 } || file.Std is not { Count: 3 }) throw new FormatException($"'{metadataPath}': mean and std must have 3 values.");

        var tensors = SafeTensors.Load(weightsPath);
        DistillationNetwork? network = null;
        TextClassifierHead? textHead = null;
        try
        {
            network = BuildNetwork(file, metadataPath);
            var targets = network.state_dict();
            var missing = targets.Keys.Where(k => !tensors.ContainsKey("network." + k)).ToList();
            if (missing.Count > 0) throw new FormatException($"'{weightsPath}' lacks {missing.Count} weights, for example 'network.{missing[0]}'.");
            using (no_grad())
            {
                foreach (var (key, target) in targets)
                {
                    var source = tensors["network." + key];
                    if (!source.shape.SequenceEqual(target.shape))
                        throw new FormatException($"'{weightsPath}': 'network.{key}' is [{string.Join(", ", source.shape)}], expected [{string.Join(", ", target.shape)}].");
                    target.copy_(source);
                }
            }
            if (file.Method != DistillationMethod.Erm && file.Method != DistillationMethod.KnowledgeDistillation)
            {
                if (!tensors.TryGetValue("text_head.class_embeddings", out var classEmbeddings))
                    throw new FormatException($"'{weightsPath}' lacks the text classifier 'text_head.class_embeddings'.");
                textHead = new TextClassifierHead(classEmbeddings, file.TextScale ?? TextClassifierHead.ClipLogitScale);
            }
            if (device is not null)
            {
                network.to(device);
                textHead?.to(device);
            }
            var normalization = new Normalize(file.Mean, file.Std);
            return new Vl2vAdipModel(file.Method, file.Student, file.ClipConfig, network, textHead, file.ClassNames, file.ImageSize,
                normalization, file.History ?? Vl2vAdipHistory.Empty);
        }
        catch
        {
            network?.Dispose();
            textHead?.Dispose();
            throw;
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    private static DistillationNetwork BuildNetwork(ModelFile file, string metadataPath)
    {
        if (file.Method == DistillationMethod.Vl2vSd)
        {
            var config = file.ClipConfig ?? throw new FormatException($"'{metadataPath}': a Vl2vSd model needs clip_config.");
            return new DistillationNetwork(new ClipImageStudent(config), null);
        }
        var architecture = file.Student ?? throw new FormatException($"'{metadataPath}': student is missing.");
        var backbone = StudentFactory.Create(architecture, new StudentOptions { ImageSize = file.ImageSize });
        if (backbone.FeatureDim != file.FeatureDim)
            throw new FormatException($"'{metadataPath}': feature_dim {file.FeatureDim} does not match {architecture} ({backbone.FeatureDim}).");
        nn.Module<Tensor, Tensor> head = file.Method == DistillationMethod.Vl2vAdip
            ? new AlignHead(backbone.FeatureDim, file.EmbedDim ?? throw new FormatException($"'{metadataPath}': embed_dim is missing."))
            : new LinearHead(backbone.FeatureDim, file.ClassNames!.Count);
        return new DistillationNetwork(backbone, head);
    }

    private Device Device => _network.parameters().First().device;

    /// <summary>Frees the weights.</summary>
    public void Dispose()
    {
        _network.Dispose();
        _textHead?.Dispose();
    }

    private sealed class ModelFile
    {
        [JsonPropertyName("format")] public string? Format { get; set; }
        [JsonPropertyName("format_version")] public int FormatVersion { get; set; }
        [JsonPropertyName("method")] public DistillationMethod Method { get; set; }
        [JsonPropertyName("student")] public StudentArchitecture? Student { get; set; }
        [JsonPropertyName("clip_config")] public ClipConfig? ClipConfig { get; set; }
        [JsonPropertyName("feature_dim")] public int FeatureDim { get; set; }
        [JsonPropertyName("embed_dim")] public int? EmbedDim { get; set; }
        [JsonPropertyName("class_names")] public List<string>? ClassNames { get; set; }
        [JsonPropertyName("image_size")] public int ImageSize { get; set; }
        [JsonPropertyName("mean")] public List<double>? Mean { get; set; }
        [JsonPropertyName("std")] public List<double>? Std { get; set; }
        [JsonPropertyName("text_scale")] public double? TextScale { get; set; }
        [JsonPropertyName("history")] public Vl2vAdipHistory? History { get; set; }
    }
}
