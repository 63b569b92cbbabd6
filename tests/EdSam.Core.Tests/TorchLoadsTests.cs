using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Tests;

public class TorchLoadsTests
{
    [Fact]
    public void Torch_initializes_and_runs_a_linear_layer_in_the_test_host()
    {
        using var layer = nn.Linear(4, 3);
        using var x = ones(2, 4);
        using var y = layer.call(x);
        y.shape.Should().Equal(2, 3);
        using var product = matmul(ones(8, 8), ones(8, 8));
        product[0, 0].item<float>().Should().Be(8f);
    }
}
