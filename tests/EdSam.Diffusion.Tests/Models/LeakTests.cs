using EdSam.Diffusion.Models;
using EdSam.Diffusion.Sampling;
using EdSam.Diffusion.Schedulers;
using EdSam.Diffusion.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Models;

public class LeakTests
{
    [Fact]
    public void Predict_guidance_and_sampling_leave_no_tensor_behind()
    {
        using var model = new UNet2D(TinyConfigs.UNet(imageSize: 8, classes: 2) with { ChannelMultipliers = [1], AttentionResolutions = [8] });
        using var labels = tensor(new long[] { 0, 1 });
        var condition = new DiffusionCondition(labels);
        var guided = new GuidedDenoiser(model, 3);
        using var x = randn(2, 3, 8, 8);
        using var t = tensor(new long[] { 5, 6 });
        using (model.Predict(x, t, condition)) { }   // warm-up: lazily created handles

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 3; i++)
        {
            using (model.Predict(x, t, condition)) { }
            using (guided.Predict(x, t, condition)) { }
            using (DiffusionSampler.Sample(guided, new DdimScheduler(), 2, condition, steps: 3, new Generator(1))) { }
            using (DiffusionSampler.Reconstruct(model, new DdpmScheduler(), x, 500, steps: 4, condition, new Generator(2))) { }
            var (noisy, _) = DiffusionSampler.Invert(model, new DdimScheduler(), x, 400, steps: 4, condition);
            noisy.Dispose();
        }

        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before);
    }
}
