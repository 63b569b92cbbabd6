using EdSam.Distillation.Losses;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Losses;

public sealed class KnowledgeDistillationLossTests
{
    [Fact]
    public void Equals_the_closed_form()
    {
        using var scope = NewDisposeScope();
        double[][] s = [[1.0, 2.0, 0.5], [0.1, -1.0, 0.3]];
        double[][] t = [[3.0, 0.0, 1.0], [0.0, 0.5, -2.0]];
        long[] y = [1, 2];
        double temperature = 2, alpha = 0.4;

        static double[] Softmax(double[] v, double temp)
        {
            var e = v.Select(x => Math.Exp(x / temp)).ToArray();
            double sum = e.Sum();
            return e.Select(x => x / sum).ToArray();
        }
        double ce = 0, kl = 0;
        for (int n = 0; n < 2; n++)
        {
            ce += -Math.Log(Softmax(s[n], 1)[y[n]]);
            var ps = Softmax(s[n], temperature);
            var pt = Softmax(t[n], temperature);
            for (int c = 0; c < 3; c++) kl += pt[c] * Math.Log(pt[c] / ps[c]);
        }
        double expected = (1 - alpha) * ce / 2 + alpha * temperature * temperature * kl / 2;

        var loss = KnowledgeDistillationLoss.Compute(
            tensor(s.SelectMany(r => r).Select(v => (float)v).ToArray()).reshape(2, 3),
            tensor(t.SelectMany(r => r).Select(v => (float)v).ToArray()).reshape(2, 3),
            tensor(y), temperature, alpha);
        loss.item<float>().Should().BeApproximately((float)expected, 1e-5f);
    }

    [Fact]
    public void Identical_logits_leave_only_the_cross_entropy()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 1, 2, 3, 0, 0, 1 }).reshape(2, 3);
        var labels = tensor(new long[] { 2, 0 });
        var kd = KnowledgeDistillationLoss.Compute(logits, logits, labels, 3, 0.5).item<float>();
        var ce = nn.functional.cross_entropy(logits, labels).item<float>();
        kd.Should().BeApproximately(0.5f * ce, 1e-6f);
    }
}
