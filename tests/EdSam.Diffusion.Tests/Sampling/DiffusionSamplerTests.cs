using EdSam.Diffusion.Models;
using EdSam.Diffusion.Sampling;
using EdSam.Diffusion.Schedulers;
using EdSam.Diffusion.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Sampling;

public class DiffusionSamplerTests
{
    private static readonly SchedulerConfig Schedule = new() { ClipSample = false };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sampling_with_an_oracle_denoiser_lands_on_its_clean_sample(bool ddim)
    {
        using var original = rand(2, 1, 4, 4, generator: new Generator(3)) * 2 - 1;
        var oracle = new OracleDenoiser(original, Schedule);
        DiffusionScheduler scheduler = ddim ? new DdimScheduler(Schedule) : new DdpmScheduler(Schedule);

        using var sample = DiffusionSampler.Sample(oracle, scheduler, 2, null, steps: 10, generator: new Generator(4));

        oracle.Calls.Should().Be(10);
        sample.allclose(original, rtol: 0, atol: 1e-3).Should().BeTrue();
    }

    [Fact]
    public void Sampling_is_repeatable_with_a_seeded_generator()
    {
        using var model = new UNet2D(TinyConfigs.UNet(imageSize: 8, channels: 1) with { ChannelMultipliers = [1], AttentionResolutions = [] });
        var scheduler = new DdpmScheduler();
        using var first = DiffusionSampler.Sample(model, scheduler, 2, null, 5, new Generator(7));
        using var second = DiffusionSampler.Sample(model, scheduler, 2, null, 5, new Generator(7));
        first.allclose(second, rtol: 0, atol: 0).Should().BeTrue();
        first.requires_grad.Should().BeFalse();
    }

    [Fact]
    public void Ddim_inversion_followed_by_denoising_returns_the_original_when_the_model_output_is_constant()
    {
        using var original = rand(1, 2, 3, 3, generator: new Generator(8));
        using var epsilon = randn(1, 2, 3, 3, generator: new Generator(9));
        var model = new ConstantDenoiser(epsilon, Schedule);
        var scheduler = new DdimScheduler(Schedule);

        var (noisy, timestep) = DiffusionSampler.Invert(model, scheduler, original, endTimestep: 500, steps: 20);
        using var _ = noisy;
        using var back = DiffusionSampler.Denoise(model, scheduler, noisy, timestep, steps: 20);

        timestep.Should().Be(500);
        back.allclose(original, rtol: 0, atol: 1e-4).Should().BeTrue();
    }

    [Fact]
    public void Reconstruct_with_an_oracle_returns_the_clean_sample_after_the_steps_at_or_below_the_start()
    {
        using var original = rand(1, 1, 4, 4, generator: new Generator(10));
        var oracle = new OracleDenoiser(original, Schedule);

        using var reconstructed = DiffusionSampler.Reconstruct(oracle, new DdimScheduler(Schedule), original, startTimestep: 600, steps: 10, generator: new Generator(11));

        oracle.Calls.Should().Be(7);   // leading spacing: 600, 500, …, 0
        reconstructed.allclose(original, rtol: 0, atol: 1e-3).Should().BeTrue();
    }

    [Fact]
    public void Reconstruct_below_every_inference_timestep_returns_a_copy()
    {
        using var original = rand(1, 1, 4, 4);
        var trailing = Schedule with { TimestepSpacing = TimestepSpacing.Trailing };   // 999, 899, …, 99
        var oracle = new OracleDenoiser(original, trailing);

        using var untouched = DiffusionSampler.Reconstruct(oracle, new DdimScheduler(trailing), original, startTimestep: 50, steps: 10);

        oracle.Calls.Should().Be(0);
        untouched.allclose(original, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void A_cancelled_token_stops_sampling()
    {
        using var original = zeros(1, 1, 2, 2);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var act = () => DiffusionSampler.Sample(new OracleDenoiser(original, Schedule), new DdimScheduler(Schedule), 1, null, 5, cancellationToken: cancellation.Token);
        act.Should().Throw<OperationCanceledException>();
    }
}
