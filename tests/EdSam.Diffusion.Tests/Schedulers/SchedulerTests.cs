using EdSam.Diffusion.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Schedulers;

public class SchedulerTests
{
    private static readonly SchedulerConfig Unclipped = new() { ClipSample = false };

    [Theory]
    [InlineData(TimestepSpacing.Leading, 5, new[] { 800, 600, 400, 200, 0 })]
    [InlineData(TimestepSpacing.Trailing, 5, new[] { 999, 799, 599, 399, 199 })]
    [InlineData(TimestepSpacing.Linspace, 4, new[] { 999, 666, 333, 0 })]
    public void SetTimesteps_spaces_inference_steps_as_configured(TimestepSpacing spacing, int steps, int[] expected)
    {
        var scheduler = new DdimScheduler(new SchedulerConfig { TimestepSpacing = spacing });
        scheduler.SetTimesteps(steps);
        scheduler.Timesteps.Should().Equal(expected);
    }

    [Fact]
    public void Step_before_SetTimesteps_says_what_to_call_first()
    {
        var scheduler = new DdpmScheduler();
        using var x = zeros(1, 1);
        var act = () => scheduler.Step(x, 999, x);
        act.Should().Throw<InvalidOperationException>().WithMessage("*call SetTimesteps*");
    }

    [Fact]
    public void AddNoise_is_the_closed_form_forward_process_per_sample()
    {
        var scheduler = new DdpmScheduler();
        using var x0 = full(new long[] { 2, 3 }, 2.0, dtype: ScalarType.Float64);
        using var noise = full(new long[] { 2, 3 }, -1.0, dtype: ScalarType.Float64);
        using var t = tensor(new long[] { 0, 999 });

        using var xt = scheduler.AddNoise(x0, noise, t);

        foreach (var (row, step) in new[] { (0, 0), (1, 999) })
        {
            double a = scheduler.Schedule.AlphasCumprod[step];
            xt[row, 1].item<double>().Should().BeApproximately(Math.Sqrt(a) * 2 - Math.Sqrt(1 - a), 1e-12);
        }
    }

    [Fact]
    public void Ddpm_posterior_equals_gaussian_conditioning_of_the_forward_process()
    {
        var scheduler = new DdpmScheduler();
        var s = scheduler.Schedule;
        foreach (int t in new[] { 1, 10, 500, 999 })
        {
            // q(x_{t-1}|x_0) = N(√ᾱ_{t-1} x_0, 1-ᾱ_{t-1}) and q(x_t|x_{t-1}) = N(√α_t x_{t-1}, β_t): combine them.
            double priorVariance = 1 - s.AlphasCumprod[t - 1];
            double precision = 1 / priorVariance + s.Alphas[t] / s.Betas[t];
            double variance = 1 / precision;
            double x0Coefficient = variance * Math.Sqrt(s.AlphasCumprod[t - 1]) / priorVariance;
            double xtCoefficient = variance * Math.Sqrt(s.Alphas[t]) / s.Betas[t];

            var (a, b, v) = scheduler.Posterior(t, t - 1);
            a.Should().BeApproximately(x0Coefficient, 1e-9);
            b.Should().BeApproximately(xtCoefficient, 1e-9);
            v.Should().BeApproximately(variance, 1e-12);
        }
    }

    [Fact]
    public void Ddpm_step_draws_from_the_posterior()
    {
        var scheduler = new DdpmScheduler(Unclipped);
        scheduler.SetTimesteps(1000);
        using var scope = NewDisposeScope();
        var sample = full(new long[] { 40_000 }, 0.3, dtype: ScalarType.Float64);
        var epsilon = full(new long[] { 40_000 }, 0.1, dtype: ScalarType.Float64);
        var generator = new Generator(7);

        var result = scheduler.Step(epsilon, 500, sample, generator);

        double alphaBar = scheduler.Schedule.AlphasCumprod[500];
        double x0 = (0.3 - Math.Sqrt(1 - alphaBar) * 0.1) / Math.Sqrt(alphaBar);
        var (a, b, variance) = scheduler.Posterior(500, 499);
        result.PredOriginalSample[0].item<double>().Should().BeApproximately(x0, 1e-12);
        result.PrevSample.mean().item<double>().Should().BeApproximately(a * x0 + b * 0.3, 4 * Math.Sqrt(variance / 40_000));
        result.PrevSample.std().item<double>().Should().BeApproximately(Math.Sqrt(variance), 0.02 * Math.Sqrt(variance));
    }

    [Fact]
    public void Ddim_with_eta_one_has_the_ddpm_posterior_standard_deviation()
    {
        var ddim = new DdimScheduler(eta: 1.0);
        var ddpm = new DdpmScheduler();
        foreach (int t in new[] { 5, 100, 999 })
            ddim.Sigma(t, t - 1).Should().BeApproximately(Math.Sqrt(ddpm.Posterior(t, t - 1).variance), 1e-12);
    }

    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.VPrediction)]
    [InlineData(PredictionType.Sample)]
    public void Deterministic_ddim_with_an_oracle_model_recovers_the_clean_sample(PredictionType prediction)
    {
        var scheduler = new DdimScheduler(Unclipped with { PredictionType = prediction });
        scheduler.SetTimesteps(20);
        using var scope = NewDisposeScope();
        var x0 = linspace(-1, 1, 16, dtype: ScalarType.Float64).reshape(1, 16);
        var noise = randn(new long[] { 1, 16 }, dtype: ScalarType.Float64, generator: new Generator(1));
        int first = scheduler.Timesteps[0];
        var x = scheduler.AddNoise(x0, noise, tensor(new long[] { first }));

        foreach (int t in scheduler.Timesteps)
        {
            // The oracle knows x0: it returns the exact target the network is trained on at this timestep.
            double a = scheduler.Schedule.AlphasCumprod[t];
            var eps = (x - Math.Sqrt(a) * x0) / Math.Sqrt(1 - a);
            var output = prediction switch
            {
                PredictionType.Epsilon => eps,
                PredictionType.VPrediction => Math.Sqrt(a) * eps - Math.Sqrt(1 - a) * x0,
                _ => x0,
            };
            x = scheduler.Step(output, t, x).PrevSample;
        }

        (x - x0).abs().max().item<double>().Should().BeLessThan(1e-9);
    }

    [Fact]
    public void Ddim_inversion_then_sampling_returns_the_start_when_the_model_depends_on_time_only()
    {
        var scheduler = new DdimScheduler(Unclipped);
        scheduler.SetTimesteps(25);
        using var scope = NewDisposeScope();
        var start = randn(new long[] { 2, 8 }, dtype: ScalarType.Float64, generator: new Generator(3));
        var direction = randn(new long[] { 2, 8 }, dtype: ScalarType.Float64, generator: new Generator(4));
        Tensor Model(int t) => direction * (1 + t / 1000.0);

        var x = start;
        foreach (int t in scheduler.Timesteps.Reverse()) x = scheduler.InvertStep(Model(t), t, x);
        foreach (int t in scheduler.Timesteps) x = scheduler.Step(Model(t), t, x).PrevSample;

        (x - start).abs().max().item<double>().Should().BeLessThan(1e-9);
    }

    [Fact]
    public void Velocity_target_turns_back_into_the_clean_sample()
    {
        var scheduler = new DdimScheduler(Unclipped with { PredictionType = PredictionType.VPrediction });
        scheduler.SetTimesteps(10);
        using var scope = NewDisposeScope();
        var x0 = randn(new long[] { 1, 6 }, dtype: ScalarType.Float64, generator: new Generator(5));
        var noise = randn(new long[] { 1, 6 }, dtype: ScalarType.Float64, generator: new Generator(6));
        var t = tensor(new long[] { 900 });
        var xt = scheduler.AddNoise(x0, noise, t);
        var v = scheduler.GetVelocity(x0, noise, t);

        var result = scheduler.Step(v, 900, xt);

        (result.PredOriginalSample - x0).abs().max().item<double>().Should().BeLessThan(1e-12);
    }

    [Fact]
    public void Ddpm_sampling_is_repeatable_with_a_seeded_generator()
    {
        Tensor Run()
        {
            var scheduler = new DdpmScheduler();
            scheduler.SetTimesteps(10);
            var generator = new Generator(42);
            var x = randn(new long[] { 4 }, generator: generator);
            foreach (int t in scheduler.Timesteps)
            {
                using var scope = NewDisposeScope();
                x = scope.MoveToOuter(scheduler.Step(x * 0.1, t, x, generator).PrevSample);
            }
            return x;
        }

        using var a = Run();
        using var b = Run();
        a.data<float>().ToArray().Should().Equal(b.data<float>().ToArray());
    }
}
