using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdSam.Clip;

/// <summary>
/// Parameter creation with open_clip's random initialisation, which <see cref="ClipModel.FromPretrained(ClipConfig, string, ClipLoadOptions?)"/>
/// switches off: every value is overwritten by the checkpoint, and drawing ~150M (ViT-B) to ~430M (ViT-L) normal
/// samples first costs seconds to tens of seconds on a small CPU.
/// </summary>
internal static class ClipInit
{
    [ThreadStatic]
    private static int t_skipDepth;

    /// <summary>True inside <see cref="SkipRandomInit"/> on this thread: parameters are allocated but not filled.</summary>
    public static bool Skipping => t_skipDepth > 0;

    /// <summary>Until disposed, parameters created on this thread are left uninitialised (they are about to be loaded).</summary>
    public static IDisposable SkipRandomInit()
    {
        t_skipDepth++;
        return new SkipScope();
    }

    /// <summary>A parameter drawn from N(0, std²).</summary>
    public static Parameter Normal(double std, params long[] shape)
    {
        var values = empty(shape);
        if (!Skipping) using (no_grad()) values.normal_(0, std);
        return nn.Parameter(values);
    }

    /// <summary>A parameter drawn from U(−bound, bound).</summary>
    public static Parameter Uniform(double bound, params long[] shape)
    {
        var values = empty(shape);
        if (!Skipping) using (no_grad()) values.uniform_(-bound, bound);
        return nn.Parameter(values);
    }

    /// <summary>A parameter of zeros.</summary>
    public static Parameter Zeros(params long[] shape) => nn.Parameter(zeros(shape));

    /// <summary>A Linear layer with N(0, std²) weights and zero bias.</summary>
    public static Linear Linear(long inFeatures, long outFeatures, double std) =>
        nn.Linear(Normal(std, outFeatures, inFeatures), Zeros(outFeatures));

    private sealed class SkipScope : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            t_skipDepth--;
        }
    }
}

/// <summary>
/// A bias-free convolution's weight under the key <c>&lt;name&gt;.weight</c>. The towers run the convolution through
/// <see cref="ClipOps.Conv2d"/>, so only the weight is needed; PyTorch's default initialisation (U(±1/√fan_in)).
/// </summary>
internal sealed class ConvWeight : nn.Module
{
    private readonly Parameter weight;

    public ConvWeight(long inChannels, long outChannels, long kernelSize) : base(nameof(ConvWeight))
    {
        weight = ClipInit.Uniform(1 / Math.Sqrt(inChannels * kernelSize * kernelSize), outChannels, inChannels, kernelSize, kernelSize);
        RegisterComponents();
    }

    /// <summary><c>[out, in, k, k]</c>.</summary>
    public Parameter Weight => weight;
}

/// <summary>The token embedding table under the key <c>token_embedding.weight</c>, <c>[vocab, width]</c>, N(0, 0.02²).</summary>
internal sealed class TokenEmbedding : nn.Module
{
    private readonly Parameter weight;

    public TokenEmbedding(long vocabSize, long width) : base(nameof(TokenEmbedding))
    {
        weight = ClipInit.Normal(0.02, vocabSize, width);
        RegisterComponents();
    }

    /// <summary>Looks up <c>[N, L]</c> ids → <c>[N, L, width]</c> (differentiable in the table).</summary>
    public Tensor Lookup(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var rows = weight.index_select(0, ids.reshape(-1));
        return scope.MoveToOuter(rows.view(ids.shape[0], ids.shape[1], weight.shape[1]));
    }
}
