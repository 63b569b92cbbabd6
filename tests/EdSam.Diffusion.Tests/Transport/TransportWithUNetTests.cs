using EdSam.Diffusion.Models;
using EdSam.Diffusion.Tests.TestSupport;
using EdSam.Diffusion.Transport;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Transport;

/// <summary>The transformation over the real UNet2D: class conditioning, classifier-free guidance and guided α end to end.</summary>
public sealed class TransportWithUNetTests
{
    [Fact]
    public void Class_conditioned_unet_with_cfg_and_guided_alpha_makes_bounded_samples()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var unet = new UNet2D(TinyConfigs.UNet(imageSize: 16, classes: 2));
        unet.eval();
        using var clip = TinyClip.Create();
        clip.eval();
        var options = new TransportOptions { SamplesPerImage = 2, SamplingSteps = 2, GuidanceScale = 3, Guided = true, GuidedSteps = 1, GuidedDecodeSteps = 1, Rho = 0.3 };
        var sampler = new AdversarialDiffusionSampler(new TransportTransformation(unet, options, new ClipGuidance(clip, TinyClip.Tokenize)), batchSize: 2);

        var samples = sampler.GenerateBatch(ToyData.Examples(2, size: 20));

        samples.Should().HaveCount(4);
        samples.Should().OnlyContain(s => s.Image.shape.SequenceEqual(new long[] { 3, 16, 16 }) && Math.Abs(s.Alpha) <= 0.3 + 1e-6);
        samples.Should().OnlyContain(s => s.Image.isfinite().all().item<bool>());
        clip.parameters().All(p => p.grad is null || p.grad.abs().sum().item<float>() == 0).Should().BeTrue("CLIP is frozen");
    }
}
