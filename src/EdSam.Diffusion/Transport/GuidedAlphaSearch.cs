using EdSam.Diffusion.Models;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Transport;

/// <summary>
/// Guided mode (an EdSam extension, not in the ED-SAM paper): instead of a random point of the ρ-ball, take the
/// worst case of the domain-generalization objective near it. Starting from the drawn α, a few steps of projected
/// sign-gradient ascent α ← clamp(α + s·ρ·sign(∂L/∂α), −ρ, ρ) maximise the CLIP contrastive loss L of the decoded
/// samples, differentiated through a short DDIM decode (<see cref="TransportOptions.GuidedDecodeSteps"/> steps, the
/// last one's x̂₀). The denoiser and CLIP are frozen: gradients are taken with respect to α only
/// (<c>torch.autograd.grad</c>), never accumulated into model parameters. The best iterate seen is returned, so the
/// loss at the returned α is never below the loss at the drawn α.
/// </summary>
internal static class GuidedAlphaSearch
{
    public static Tensor Run(TransportTransformation transport, Tensor diffused, Tensor initialAlpha, Tensor shiftNoise,
        DiffusionCondition? condition, IReadOnlyList<string> captions)
    {
        var options = transport.Options;
        var guidance = transport.Guidance!;
        double rho = options.Rho, step = options.GuidedStepSize * rho;
        int decodeSteps = Math.Min(options.GuidedDecodeSteps, transport.SamplingTimesteps.Count);
        if (rho == 0) return initialAlpha.clone();

        var alpha = initialAlpha.detach().clone();
        Tensor best = alpha.clone();
        double bestLoss = double.NegativeInfinity;
        using var enableGrad = enable_grad();
        for (int iteration = 0; iteration <= options.GuidedSteps; iteration++)
        {
            using var scope = NewDisposeScope();
            var leaf = alpha.detach().requires_grad_(true);
            var shifted = TransportTransformation.Shift(diffused.detach(), leaf, shiftNoise);
            var latents = transport.ShortDecode(shifted, condition, decodeSteps);
            var images = transport.DecodeLatents(latents);
            var loss = guidance.Loss(images, captions, options.SamplesPerImage);
            double value = loss.item<float>();
            if (value > bestLoss)
            {
                bestLoss = value;
                best.Dispose();
                best = scope.MoveToOuter(leaf.detach().clone());
            }
            if (iteration == options.GuidedSteps) break;
            var gradient = autograd.grad([loss], [leaf])[0];
            var next = (leaf.detach() + step * gradient.sign()).clamp(-rho, rho);
            alpha.Dispose();
            alpha = scope.MoveToOuter(next);
        }
        alpha.Dispose();
        return best;
    }
}
