using EdSam.Diffusion.Models;
using EdSam.Diffusion.Tests.TestSupport;
using EdSam.Diffusion.Transport;
using FsCheck;
using FsCheck.Fluent;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Transport;

public sealed class TransportTransformationTests
{
    private static Tensor Images(int n, int size = 8, long seed = 11)
    {
        using var g = new Generator((ulong)seed);
        return rand(new long[] { n, 3, size, size }, generator: g);
    }

    [Fact]
    public void Defaults_are_the_papers()
    {
        var options = new TransportOptions();
        options.SamplesPerImage.Should().Be(10);
        options.Rho.Should().Be(0.5);
        options.StartAlphaCumprod.Should().Be(0.5);
        options.StartTimestep.Should().BeNull();
        options.SamplingSteps.Should().Be(10);
        options.Eta.Should().Be(0);
        options.GuidanceScale.Should().Be(1);
        options.Guided.Should().BeFalse();
    }

    [Fact]
    public void Validation_lists_every_wrong_option()
    {
        var act = () => new TransportOptions { SamplesPerImage = 0, Rho = -1, SamplingSteps = 0 }.Validate();
        act.Should().Throw<OptionsValidationException>()
            .WithMessage("*SamplesPerImage*").WithMessage("*Rho*").WithMessage("*SamplingSteps*");
    }

    [Fact]
    public void Start_step_is_where_alpha_bar_reaches_one_half_rounded_onto_the_ddim_grid()
    {
        using var denoiser = new TinyDenoiser();
        var transport = new TransportTransformation(denoiser, new TransportOptions { SamplingSteps = 10 });
        var schedule = transport.Scheduler.Schedule;
        int requested = schedule.TimestepWhereAlphaCumprodReaches(0.5);
        // Independent check of ᾱ = ½ on the linear schedule: the first t with ∏(1 − β_s) ≤ ½.
        double product = 1;
        int expected = -1;
        for (int t = 0; t < 1000 && expected < 0; t++)
        {
            product *= 1 - (1e-4 + (0.02 - 1e-4) * t / 999.0);
            if (product <= 0.5) expected = t;
        }
        requested.Should().Be(expected).And.Be(259);
        transport.StartTimestep.Should().BeLessThanOrEqualTo(requested);
        transport.SamplingTimesteps.Should().HaveCountGreaterThanOrEqualTo(10).And.BeInDescendingOrder();
        transport.SamplingTimesteps[0].Should().Be(transport.StartTimestep);
        // The coarsest "leading" grid with 10 timesteps ≤ 259 has stride 1000 / 35 = 28: 252, 224, …, 0.
        transport.StartTimestep.Should().Be(252);
        transport.SamplingTimesteps.Should().Equal(Enumerable.Range(0, 10).Select(i => 252 - 28 * i));
    }

    [Fact]
    public void Per_sample_mean_shift_is_alpha_and_lies_within_rho()
    {
        Prop.ForAll(
            Gen.Choose(0, 400).Select(i => i / 100.0).ToArbitrary(),
            Gen.Choose(0, int.MaxValue).ToArbitrary(),
            (rho, seed) =>
            {
                using var scope = NewDisposeScope();
                using var g = new Generator((ulong)seed);
                using var noise = TransportNoise.Draw([6, 3, 4, 4], rho, g);
                var z = randn(new long[] { 6, 3, 4, 4 }, generator: g);
                var shifted = TransportTransformation.Shift(z, noise.Alpha, noise.ShiftNoise);
                // The mean shift relative to the ρ = 0 transport (z + ε′)/√2 is α√2/√2 = α, the same for every element.
                var shift = shifted - (z + noise.ShiftNoise) / Math.Sqrt(2);
                var perSample = shift.view(6, -1);
                bool constant = (perSample - perSample.mean([1], keepdim: true)).abs().max().item<float>() < 1e-5;
                bool equalsAlpha = (perSample.mean([1]) - noise.Alpha).abs().max().item<float>() < 1e-5;
                bool inBall = noise.Alpha.abs().max().item<float>() <= rho + 1e-7;
                return constant && equalsAlpha && inBall;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Rho_zero_has_no_mean_shift()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        using var noise = TransportNoise.Draw([4, 3, 2, 2], 0, g);
        noise.Alpha.abs().max().item<float>().Should().Be(0);
    }

    [Fact]
    public void Rho_zero_equals_a_plain_sdedit_run_with_the_same_noise()
    {
        using var scope = NewDisposeScope();
        using var denoiser = new TinyDenoiser();
        var options = new TransportOptions { Rho = 0, SamplesPerImage = 2, SamplingSteps = 4 };
        var transport = new TransportTransformation(denoiser, options);
        var images = Images(3);
        var labels = tensor(new long[] { 0, 1, 2 });
        using var g = new Generator(42);
        using var noise = TransportNoise.Draw([6, 3, 8, 8], 0, g);
        using var result = transport.Transform(images, new DiffusionCondition(labels), noise);

        // SDEdit written out independently: noise x₀ ∈ [−1, 1] to ᾱ_{t₀}, mix in ε′ (ρ = 0), deterministic DDIM
        // (Song et al. eq. 12 with η = 0, x̂₀ clipped to [−1, 1]) over the same timesteps, back to [0, 1].
        var alphaBar = transport.Scheduler.Schedule.AlphasCumprod;
        var x0 = (images * 2 - 1).repeat_interleave(2, 0);
        int[] steps = transport.SamplingTimesteps.ToArray();
        var x = (Math.Sqrt(alphaBar[steps[0]]) * x0 + Math.Sqrt(1 - alphaBar[steps[0]]) * noise.ForwardNoise + noise.ShiftNoise) / Math.Sqrt(2);
        var condition = new DiffusionCondition(labels.repeat_interleave(2, 0));
        for (int i = 0; i < steps.Length; i++)
        {
            double a = alphaBar[steps[i]], aPrev = i + 1 < steps.Length ? alphaBar[steps[i + 1]] : 1.0;
            var eps = denoiser.Predict(x, full(6, (long)steps[i]), condition);
            var predicted = ((x - Math.Sqrt(1 - a) * eps) / Math.Sqrt(a)).clamp(-1, 1);
            x = Math.Sqrt(aPrev) * predicted + Math.Sqrt(1 - aPrev) * eps;
        }
        var expected = ((x + 1) / 2).clamp(0, 1);
        result.Images.shape.Should().Equal(6, 3, 8, 8);
        (result.Images - expected).abs().max().item<float>().Should().BeLessThan(1e-5f);
        result.Alpha.abs().max().item<float>().Should().Be(0);

        // The seeded entry point draws exactly these (ε, α, ε′) from a generator with the same seed.
        using var reseeded = new Generator(42);
        using var fromSeed = transport.Transform(images, new DiffusionCondition(labels), reseeded);
        fromSeed.Images.eq(result.Images).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void Rho_zero_transport_is_the_forward_process_at_half_the_alpha_bar()
    {
        // z* = (√ᾱ z₀ + √(1−ᾱ) ε + ε′)/√2 has mean √(ᾱ/2)·z₀ and variance 1 − ᾱ/2 per element.
        using var scope = NewDisposeScope();
        using var g = new Generator(9);
        const double alphaBar = 0.5;
        var z0 = full(new long[] { 20000, 4 }, 0.8f);
        using var noise = TransportNoise.Draw([20000, 4], 0, g);
        var z = Math.Sqrt(alphaBar) * z0 + Math.Sqrt(1 - alphaBar) * noise.ForwardNoise;
        var shifted = TransportTransformation.Shift(z, noise.Alpha, noise.ShiftNoise);
        shifted.mean().item<float>().Should().BeApproximately((float)(Math.Sqrt(alphaBar / 2) * 0.8), 0.01f);
        shifted.var().item<float>().Should().BeApproximately((float)(1 - alphaBar / 2), 0.02f);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void Expected_squared_displacement_matches_monte_carlo(double rho)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(123);
        const int samples = 40000, d = 12;
        // Latents with a non-zero mean: E‖z‖² = d·(1.5² + 0.7²).
        var z = 1.5 + 0.7 * randn(new long[] { samples, d }, generator: g);
        using var noise = TransportNoise.Draw([samples, d], rho, g);
        var shifted = TransportTransformation.Shift(z, noise.Alpha, noise.ShiftNoise);
        double monteCarlo = (z - shifted).pow(2).sum(1).mean().item<float>();
        double closedForm = TransportTransformation.ExpectedSquaredDisplacement(rho, d, d * (1.5 * 1.5 + 0.7 * 0.7));
        monteCarlo.Should().BeApproximately(closedForm, 0.02 * closedForm);
        TransportTransformation.WassersteinBound(rho, d, d * 2.74).Should().BeApproximately(Math.Sqrt(closedForm), 1e-9);
    }

    [Fact]
    public void Same_seed_same_samples_other_seed_other_samples()
    {
        using var scope = NewDisposeScope();
        using var denoiser = new TinyDenoiser();
        var transport = new TransportTransformation(denoiser, new TransportOptions { SamplesPerImage = 3, SamplingSteps = 3, Eta = 0.5 });
        var images = Images(2);
        var condition = new DiffusionCondition(tensor(new long[] { 1, 3 }));
        TransportResult Run(ulong seed)
        {
            using var g = new Generator(seed);
            return transport.Transform(images, condition, g);
        }
        using var a = Run(1);
        using var b = Run(1);
        using var c = Run(2);
        a.Images.shape.Should().Equal(6, 3, 8, 8);
        a.Alpha.shape.Should().Equal(6);
        a.Images.eq(b.Images).all().item<bool>().Should().BeTrue();
        a.Alpha.eq(b.Alpha).all().item<bool>().Should().BeTrue();
        (a.Images - c.Images).abs().max().item<float>().Should().BeGreaterThan(1e-3f);
        a.Alpha.abs().max().item<float>().Should().BeLessThanOrEqualTo(0.5f);
        a.Images.min().item<float>().Should().BeGreaterThanOrEqualTo(0);
        a.Images.max().item<float>().Should().BeLessThanOrEqualTo(1);
    }

    [Fact]
    public void Images_of_the_wrong_size_are_refused_with_the_denoisers_size()
    {
        using var scope = NewDisposeScope();
        using var denoiser = new TinyDenoiser();
        var transport = new TransportTransformation(denoiser, new TransportOptions { SamplingSteps = 2 });
        using var g = new Generator(1);
        var act = () => transport.Transform(zeros(1, 3, 16, 16), null, g);
        act.Should().Throw<ArgumentException>().WithMessage("*3, 16, 16*3, 8, 8*");
    }

    [Fact]
    public void Guided_mode_without_guidance_is_refused()
    {
        using var denoiser = new TinyDenoiser();
        var act = () => new TransportTransformation(denoiser, new TransportOptions { Guided = true });
        act.Should().Throw<ArgumentException>().WithMessage("*ClipGuidance*");
    }

    [Fact]
    public void Repeated_transforms_leak_no_tensors()
    {
        using var denoiser = new TinyDenoiser();
        var transport = new TransportTransformation(denoiser, new TransportOptions { SamplesPerImage = 2, SamplingSteps = 2 });
        using var images = Images(2);
        using var labels = tensor(new long[] { 0, 1 });
        var condition = new DiffusionCondition(labels);
        using var g = new Generator(3);
        transport.Transform(images, condition, g).Dispose();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++) transport.Transform(images, condition, g).Dispose();
        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before);
    }
}
