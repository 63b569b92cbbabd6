using EdSam.Distillation.Heads;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Heads;

public class AlignHeadTests
{
    [Property(MaxTest = 25)]
    public Property Output_rows_have_unit_norm(PositiveInt rows, PositiveInt studentDim, PositiveInt teacherDim, float scale)
    {
        int n = rows.Get % 8 + 1, ds = studentDim.Get % 40 + 1, dt = teacherDim.Get % 40 + 1;
        float s = float.IsFinite(scale) && Math.Abs(scale) > 1e-3f && Math.Abs(scale) < 1e3f ? scale : 1f;
        using var head = new AlignHead(ds, dt);
        using var features = randn(n, ds).mul_(s);
        using var z = head.call(features);
        using var norms = z.norm(1);
        bool ok = z.shape.SequenceEqual(new long[] { n, dt }) && norms.sub(1).abs().max().item<float>() < 1e-5f;
        return ok.Label($"n={n} ds={ds} dt={dt} scale={s}");
    }

    [Fact]
    public void Output_is_the_normalised_affine_projection_computed_by_hand()
    {
        using var head = new AlignHead(3, 2);
        var state = head.state_dict();
        state.Keys.Should().BeEquivalentTo("proj.weight", "proj.bias");
        var w = state["proj.weight"].data<float>().ToArray(); // [2, 3], row-major
        var b = state["proj.bias"].data<float>().ToArray();
        float[] x = [0.5f, -1.25f, 2f];
        double[] y = [.. Enumerable.Range(0, 2).Select(i => b[i] + Enumerable.Range(0, 3).Sum(j => (double)w[i * 3 + j] * x[j]))];
        double norm = Math.Sqrt(y.Sum(v => v * v));

        using var input = tensor(x).reshape(1, 3);
        using var z = head.call(input);
        z[0, 0].item<float>().Should().BeApproximately((float)(y[0] / norm), 1e-6f);
        z[0, 1].item<float>().Should().BeApproximately((float)(y[1] / norm), 1e-6f);
    }

    [Fact]
    public void Rejects_features_of_the_wrong_width()
    {
        using var head = new AlignHead(8, 4);
        using var features = randn(2, 7);
        head.Invoking(h => h.call(features)).Should().Throw<ArgumentException>().WithMessage("*8*[2, 7]*");
        FluentActions.Invoking(() => new AlignHead(0, 4)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
