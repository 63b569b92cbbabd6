using EdSam.Distillation.Heads;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Heads;

public class LinearHeadTests
{
    [Fact]
    public void Computes_w_x_plus_b_with_an_fc_key()
    {
        using var head = new LinearHead(4, 3);
        var state = head.state_dict();
        state.Keys.Should().BeEquivalentTo("fc.weight", "fc.bias");
        using var x = randn(5, 4);
        using var expected = x.matmul(state["fc.weight"].t()).add(state["fc.bias"]);
        using var logits = head.call(x);
        logits.allclose(expected, rtol: 1e-5, atol: 1e-6).Should().BeTrue();
        head.parameters().Should().OnlyContain(p => p.requires_grad);
    }

    [Fact]
    public void Rejects_features_of_the_wrong_width()
    {
        using var head = new LinearHead(4, 3);
        using var x = randn(2, 5);
        head.Invoking(h => h.call(x)).Should().Throw<ArgumentException>().WithMessage("*4*[2, 5]*");
    }
}
