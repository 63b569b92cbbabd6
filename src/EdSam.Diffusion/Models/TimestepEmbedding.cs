using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Diffusion.Models;

/// <summary>
/// Timestep → feature vector: the fixed sinusoidal embedding of Vaswani et al. (2017, §3.5), as used by Ho et al.
/// (2020), followed by a two-layer MLP (<c>linear_1</c> → SiLU → <c>linear_2</c>, diffusers' key names).
/// </summary>
internal sealed class TimestepEmbedding : Module<Tensor, Tensor>
{
    private const double MaxPeriod = 10_000;

    private readonly Linear linear_1;
    private readonly Linear linear_2;
    private readonly int _sinusoidDim;

    public TimestepEmbedding(int sinusoidDim, int embeddingDim) : base(nameof(TimestepEmbedding))
    {
        _sinusoidDim = sinusoidDim;
        linear_1 = nn.Linear(sinusoidDim, embeddingDim);
        linear_2 = nn.Linear(embeddingDim, embeddingDim);
        RegisterComponents();
    }

    /// <param name="timesteps">[N] timesteps (any numeric dtype).</param>
    public override Tensor forward(Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var features = Sinusoidal(timesteps, _sinusoidDim).to(linear_1.weight!.dtype);
        return scope.MoveToOuter(linear_2.call(nn.functional.silu(linear_1.call(features))));
    }

    /// <summary>
    /// [sin(t·ω₀) … sin(t·ω_{h−1}) | cos(t·ω₀) … cos(t·ω_{h−1})] with h = dim/2 and ω_i = 10000^(−i/h), i.e. the
    /// even/odd channels of "Attention is all you need" (PE(t, 2i) = sin(t/10000^(2i/dim))) laid out as two halves.
    /// </summary>
    /// <param name="timesteps">[N] timesteps.</param>
    /// <param name="dim">Even embedding width.</param>
    /// <returns>float32 [N, dim] on the timesteps' device.</returns>
    public static Tensor Sinusoidal(Tensor timesteps, int dim)
    {
        if (dim < 2 || dim % 2 != 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "the sinusoidal embedding width must be even and ≥ 2");
        if (timesteps.dim() != 1) throw new ArgumentException($"timesteps must be 1-D [N], got shape [{string.Join(",", timesteps.shape)}]", nameof(timesteps));
        using var scope = NewDisposeScope();
        int half = dim / 2;
        var exponents = arange(half, dtype: ScalarType.Float32, device: timesteps.device) * (-Math.Log(MaxPeriod) / half);
        var angles = timesteps.to(ScalarType.Float32).unsqueeze(1) * exponents.exp().unsqueeze(0);
        return scope.MoveToOuter(cat(new[] { angles.sin(), angles.cos() }, 1));
    }
}
