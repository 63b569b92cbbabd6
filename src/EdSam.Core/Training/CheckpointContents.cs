using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>
/// What a trainer checkpoints and restores: its modules by name, its optimiser, its random generators and any extra
/// tensor state (EMA, SWAD averages). The same object (with freshly built modules) is passed to
/// <see cref="CheckpointManager.Save{TState}"/> and <see cref="CheckpointManager.TryLoadLatest{TState}"/>.
/// </summary>
/// <remarks>
/// Names become file names (<c>&lt;name&gt;.safetensors</c>): letters, digits, <c>_</c>, <c>-</c> and <c>.</c>
/// only, unique across <see cref="Modules"/> and <see cref="States"/>, and not one of the reserved names
/// <c>optimizer</c>, <c>rng</c>, <c>state</c>. The default CPU generator of torch (used by dropout,
/// <c>torch.randn</c> without a generator, …) is always saved and restored; list trainer-owned generators in
/// <see cref="Generators"/>.
/// </remarks>
public sealed class CheckpointContents
{
    /// <summary>The modules whose <c>state_dict()</c> (parameters and persistent buffers) is saved, by name.</summary>
    public IReadOnlyDictionary<string, nn.Module> Modules { get; init; } = new Dictionary<string, nn.Module>();

    /// <summary>The optimiser whose per-parameter state and per-group hyper-parameters are saved; null for none.</summary>
    /// <remarks>Any TorchSharp managed optimiser (<c>Adam</c>, <c>AdamW</c>, <c>SGD</c>, …: an <c>OptimizerHelper</c>).</remarks>
    public optim.Optimizer? Optimizer { get; init; }

    /// <summary>Trainer-owned random generators (for example the data-order generator from <see cref="Seeding.Seed"/>), by name.</summary>
    public IReadOnlyDictionary<string, Generator> Generators { get; init; } = new Dictionary<string, Generator>();

    /// <summary>Extra tensor state (EMA shadows, running averages), by name.</summary>
    public IReadOnlyDictionary<string, ICheckpointState> States { get; init; } = new Dictionary<string, ICheckpointState>();
}
