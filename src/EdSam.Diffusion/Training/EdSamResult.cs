using EdSam.Clip;
using EdSam.IO;
using EdSam.Training;

namespace EdSam.Diffusion.Training;

/// <summary>What <see cref="EdSamTrainer.Fit(Data.IDomainDataset, ClipModel, ClipTokenizer, Transport.IAdversarialSampleSource?, IProgress{TrainingProgress}?, CancellationToken)"/> returns.</summary>
public sealed class EdSamResult
{
    internal EdSamResult(ClipModel model, IReadOnlyList<TrainingProgress> history, IReadOnlyList<double> losses, long totalSteps, bool cancelled, string? lastCheckpoint,
        bool alreadyComplete = false, AdversarialCoverage? adversarialCoverage = null)
    {
        AlreadyComplete = alreadyComplete;
        AdversarialCoverage = adversarialCoverage;
        Model = model;
        History = history;
        Losses = losses;
        TotalSteps = totalSteps;
        Cancelled = cancelled;
        LastCheckpoint = lastCheckpoint;
    }

    /// <summary>The trained model (the instance passed to <c>Fit</c>, trained in place, left in eval mode).</summary>
    public ClipModel Model { get; }

    /// <summary>One progress record per step run by this <c>Fit</c> call (after a resume: the steps after it).</summary>
    public IReadOnlyList<TrainingProgress> History { get; }

    /// <summary>The training loss of every step from the first, including steps restored from a checkpoint.</summary>
    public IReadOnlyList<double> Losses { get; }

    /// <summary>Steps completed in total (<see cref="Losses"/>.Count).</summary>
    public long StepsCompleted => Losses.Count;

    /// <summary>The number of steps of the full run (epochs × steps per epoch).</summary>
    public long TotalSteps { get; }

    /// <summary>True when training stopped early on cancellation (a checkpoint was written when checkpointing is on);
    /// call <c>Fit</c> again with the same options to continue.</summary>
    public bool Cancelled { get; }

    /// <summary>The newest checkpoint folder written or restored, or null.</summary>
    public string? LastCheckpoint { get; }

    /// <summary>True when the checkpoint folder already held the finished run (same settings): this <c>Fit</c> trained
    /// nothing (<see cref="History"/> is empty) and <see cref="Model"/> holds the finished run's weights from
    /// <see cref="LastCheckpoint"/>. To train again, use a new checkpoint folder.</summary>
    public bool AlreadyComplete { get; }

    /// <summary>How many training examples had adversarial samples; null when training without them, or when the
    /// source cannot tell without generating (<see cref="Transport.IAdversarialSampleSource.HasSamples"/> returns null).
    /// Check <see cref="AdversarialCoverage.IsComplete"/>: examples without samples got the plain CLIP loss only.</summary>
    public AdversarialCoverage? AdversarialCoverage { get; }

    /// <summary>Saves the trained model as a self-describing OpenCLIP folder (weights, config, preprocessing, optionally
    /// the BPE vocabulary) that <c>ClipModel.FromPretrained(folder)</c> loads back; see <see cref="ClipModel.SavePretrained"/>.</summary>
    /// <param name="folder">The folder to write.</param>
    /// <param name="preprocess">The preprocessing the model expects; CLIP's at its image size when null.</param>
    /// <param name="bpeVocabularyPath">OpenAI's <c>bpe_simple_vocab_16e6.txt.gz</c> to copy beside the weights, or null.</param>
    public void SavePretrained(string folder, ImagePreprocessorOptions? preprocess = null, string? bpeVocabularyPath = null) =>
        Model.SavePretrained(folder, preprocess, bpeVocabularyPath);

    /// <summary>Saves the model's weights only (OpenAI/OpenCLIP key layout) as a <c>.safetensors</c> file; load it with
    /// <see cref="ClipModel.FromPretrained(ClipConfig, string, ClipLoadOptions?)"/> and the same config — or use
    /// <see cref="SavePretrained"/> for a folder that carries its config.</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensors.Save(path, Model.state_dict());
    }
}
