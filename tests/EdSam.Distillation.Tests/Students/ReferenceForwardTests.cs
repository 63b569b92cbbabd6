using EdSam.Distillation.Students;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EdSam.Distillation.Tests.Students;

/// <summary>
/// The backbones against a from-scratch recomputation with the published formulas, reading only the state dict:
/// explicit per-head softmax attention for the ViT (not SDPA), functional conv/BN for the ResNet.
/// </summary>
public class ReferenceForwardTests
{
    [Fact]
    public void Vit_features_equal_a_per_head_softmax_recomputation_from_the_state_dict()
    {
        using var model = StudentFactory.Create(StudentArchitecture.TinyVit, new StudentOptions { Seed = 11 });
        model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var s = model.state_dict();
        var images = randn(2, 3, 32, 32);
        const int width = 64, heads = 4, headDim = width / heads;

        // Patches → tokens, prepend the class token, add positions.
        var tokens = F.conv2d(images, s["patch_embed.proj.weight"], s["patch_embed.proj.bias"], strides: [4, 4]).flatten(2).transpose(1, 2);
        var x = cat([s["cls_token"].expand(2, 1, width), tokens], 1) + s["pos_embed"];
        for (int b = 0; b < 2; b++)
        {
            string p = $"blocks.{b}.";
            var h = F.layer_norm(x, [width], s[p + "norm1.weight"], s[p + "norm1.bias"], 1e-6);
            var qkv = F.linear(h, s[p + "attn.qkv.weight"], s[p + "attn.qkv.bias"]); // [N, L, 3·D]: q | k | v, heads contiguous within each
            var outputs = new List<Tensor>();
            for (int head = 0; head < heads; head++)
            {
                var q = qkv.narrow(2, head * headDim, headDim);
                var k = qkv.narrow(2, width + head * headDim, headDim);
                var v = qkv.narrow(2, 2 * width + head * headDim, headDim);
                var attention = q.matmul(k.transpose(1, 2)).div(Math.Sqrt(headDim)).softmax(-1);
                outputs.Add(attention.matmul(v));
            }
            x = x + F.linear(cat(outputs, 2), s[p + "attn.proj.weight"], s[p + "attn.proj.bias"]);
            h = F.layer_norm(x, [width], s[p + "norm2.weight"], s[p + "norm2.bias"], 1e-6);
            // Exact (erf) GELU: x · Φ(x).
            var hidden = F.linear(h, s[p + "mlp.fc1.weight"], s[p + "mlp.fc1.bias"]);
            hidden = hidden * (hidden / Math.Sqrt(2)).erf().add(1).div(2);
            x = x + F.linear(hidden, s[p + "mlp.fc2.weight"], s[p + "mlp.fc2.bias"]);
        }
        var expected = F.layer_norm(x, [width], s["norm.weight"], s["norm.bias"], 1e-6).select(1, 0);

        var actual = model.call(images);
        (actual - expected).abs().max().item<float>().Should().BeLessThan(1e-5f);
    }

    [Fact]
    public void Resnet_features_equal_a_functional_recomputation_from_the_state_dict()
    {
        using var model = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 12 });
        using (no_grad())
        {
            // Non-trivial running statistics so eval-mode BatchNorm is really exercised.
            foreach (var (key, value) in model.state_dict().Where(e => e.Key.EndsWith("running_mean"))) value.uniform_(-0.5, 0.5);
            foreach (var (key, value) in model.state_dict().Where(e => e.Key.EndsWith("running_var"))) value.uniform_(0.5, 2);
        }
        model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var s = model.state_dict();
        Tensor Bn(Tensor t, string p) => F.batch_norm(t, s[p + ".running_mean"], s[p + ".running_var"], s[p + ".weight"], s[p + ".bias"], training: false, eps: 1e-5);
        Tensor Conv(Tensor t, string p, long stride, long padding) => F.conv2d(t, s[p + ".weight"], strides: [stride, stride], padding: [padding, padding]);

        var images = randn(2, 3, 40, 40);
        var x = F.max_pool2d(Bn(Conv(images, "conv1", 2, 3), "bn1").relu(), [3, 3], [2, 2], [1, 1]);
        for (int stage = 1; stage <= 4; stage++)
        {
            string p = $"layer{stage}.0";
            long stride = stage == 1 ? 1 : 2;
            var y = Bn(Conv(x, p + ".conv1", stride, 1), p + ".bn1").relu();
            y = Bn(Conv(y, p + ".conv2", 1, 1), p + ".bn2");
            var shortcut = s.ContainsKey(p + ".downsample.0.weight") ? Bn(Conv(x, p + ".downsample.0", stride, 0), p + ".downsample.1") : x;
            x = (y + shortcut).relu();
        }
        var expected = F.adaptive_avg_pool2d(x, [1, 1]).flatten(1);

        var actual = model.call(images);
        (actual - expected).abs().max().item<float>().Should().BeLessThan(1e-5f);
    }
}
