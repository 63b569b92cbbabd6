using EdSam.Diffusion.Models;
using EdSam.Diffusion.Tests.TestSupport;
using EdSam.Diffusion.Transport;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Transport;

public sealed class GuidedTransportTests
{
    [Fact]
    public void Guided_alpha_stays_in_the_rho_ball_and_does_not_lower_the_clip_loss()
    {
        using var scope = NewDisposeScope();
        using var denoiser = new TinyDenoiser();
        using var clip = TinyClip.Create();
        clip.eval();
        var guidance = new ClipGuidance(clip, TinyClip.Tokenize);
        const double rho = 0.8;
        var options = new TransportOptions { Rho = rho, SamplesPerImage = 2, SamplingSteps = 3, Guided = true, GuidedSteps = 3, GuidedDecodeSteps = 2 };
        var transport = new TransportTransformation(denoiser, options, guidance);
        using var g = new Generator(17);
        var images = rand(new long[] { 3, 3, 8, 8 }, generator: g);
        var condition = new DiffusionCondition(tensor(new long[] { 0, 1, 2 }));
        string[] captions = ["a photo of a shirt", "a sketch of a shoe", "a painting of a bag"];
        using var noise = TransportNoise.Draw([6, 3, 8, 8], rho, g);

        using var result = transport.Transform(images, condition, noise, captions: captions);

        result.Alpha.abs().max().item<float>().Should().BeLessThanOrEqualTo((float)rho + 1e-6f);
        double Loss(Tensor alpha)
        {
            using var inner = NewDisposeScope();
            using var noGrad = no_grad();
            var latents = transport.Diffuse(transport.Encode(images).repeat_interleave(2, 0), noise.ForwardNoise);
            var shifted = TransportTransformation.Shift(latents, alpha, noise.ShiftNoise);
            var decoded = transport.DecodeLatents(transport.ShortDecode(shifted, TransportTransformation.Replicate(condition, 2, 6), 2));
            return guidance.Loss(decoded, captions, 2).item<float>();
        }
        double initial = Loss(noise.Alpha), guided = Loss(result.Alpha);
        guided.Should().BeGreaterThanOrEqualTo(initial - 1e-6);
        result.Alpha.eq(noise.Alpha).all().item<bool>().Should().BeFalse("a few ascent steps on a non-flat loss move α");
        // Frozen models: nothing was accumulated into CLIP's parameters.
        clip.parameters().All(p => p.grad is null || p.grad.abs().sum().item<float>() == 0).Should().BeTrue();
    }
}
