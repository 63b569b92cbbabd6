using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Diffusion.Models;

/// <summary>
/// Multi-head self-attention over the H·W positions of a feature map, with a residual connection (diffusers'
/// <c>Attention</c> key names: <c>group_norm</c>, <c>to_q</c>, <c>to_k</c>, <c>to_v</c>, <c>to_out.0</c>).
/// Used at low resolution only: its cost grows with (H·W)².
/// </summary>
internal sealed class SelfAttention2D : Module<Tensor, Tensor>
{
    private readonly GroupNorm group_norm;
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly ModuleList<Module<Tensor, Tensor>> to_out;
    private readonly int _heads;

    public SelfAttention2D(int channels, int heads, int groups, double eps) : base(nameof(SelfAttention2D))
    {
        if (heads < 1 || channels % heads != 0)
            throw new ArgumentException($"{channels} channels cannot be split into {heads} attention heads");
        _heads = heads;
        group_norm = Normalization.GroupNorm(groups, channels, eps);
        to_q = nn.Linear(channels, channels);
        to_k = nn.Linear(channels, channels);
        to_v = nn.Linear(channels, channels);
        to_out = nn.ModuleList<Module<Tensor, Tensor>>(nn.Linear(channels, channels));
        RegisterComponents();
    }

    /// <param name="input">[N, C, H, W].</param>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        long n = input.shape[0], c = input.shape[1], height = input.shape[2], width = input.shape[3];
        long positions = height * width, headDim = c / _heads;
        var tokens = group_norm.call(input).reshape(n, c, positions).transpose(1, 2);   // [N, HW, C]
        Tensor Heads(Linear projection) => projection.call(tokens).reshape(n, positions, _heads, headDim).transpose(1, 2);
        var attended = nn.functional.scaled_dot_product_attention(Heads(to_q), Heads(to_k), Heads(to_v));
        var merged = to_out[0].call(attended.transpose(1, 2).reshape(n, positions, c));
        return scope.MoveToOuter(merged.transpose(1, 2).reshape(n, c, height, width) + input);
    }
}
