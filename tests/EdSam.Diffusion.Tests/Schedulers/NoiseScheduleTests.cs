using EdSam.Diffusion.Schedulers;

namespace EdSam.Diffusion.Tests.Schedulers;

public class NoiseScheduleTests
{
    [Fact]
    public void Linear_schedule_matches_the_ddpm_paper()
    {
        var schedule = new NoiseSchedule(new SchedulerConfig());

        schedule.Betas[0].Should().BeApproximately(1e-4, 1e-15);
        schedule.Betas[999].Should().BeApproximately(0.02, 1e-15);
        // √ᾱ_T ≈ 0.00635 for the DDPM schedule: x_T keeps 0.6 % of the signal.
        schedule.AlphasCumprod[999].Should().BeApproximately(4.0358e-5, 1e-8);
        schedule.AlphasCumprod.Should().BeInDescendingOrder();
    }

    [Fact]
    public void Cosine_schedule_follows_nichol_and_dhariwal_closed_form_where_beta_is_not_capped()
    {
        const int T = 1000;
        const double s = 0.008;
        static double F(double t) => Math.Pow(Math.Cos((t / T + s) / (1 + s) * Math.PI / 2), 2);
        var schedule = new NoiseSchedule(new SchedulerConfig { BetaSchedule = BetaSchedule.Cosine });

        foreach (int t in new[] { 0, 10, 250, 500, 750, 900 })
            schedule.AlphasCumprod[t].Should().BeApproximately(F(t + 1) / F(0), 1e-12, $"ᾱ at t = {t}");
        schedule.Betas.Max().Should().BeLessThanOrEqualTo(0.999);
    }

    [Fact]
    public void Scaled_linear_schedule_is_linear_in_the_square_root_of_beta()
    {
        var schedule = new NoiseSchedule(new SchedulerConfig { BetaSchedule = BetaSchedule.ScaledLinear, BetaStart = 0.00085, BetaEnd = 0.012 });

        double step = (Math.Sqrt(0.012) - Math.Sqrt(0.00085)) / 999;
        Math.Sqrt(schedule.Betas[500]).Should().BeApproximately(Math.Sqrt(0.00085) + 500 * step, 1e-12);
    }

    [Fact]
    public void Encoding_depth_for_half_signal_is_the_first_step_with_alpha_bar_at_most_one_half()
    {
        var schedule = new NoiseSchedule(new SchedulerConfig());
        int t = schedule.TimestepWhereAlphaCumprodReaches(0.5);

        schedule.AlphasCumprod[t].Should().BeLessThanOrEqualTo(0.5);
        schedule.AlphasCumprod[t - 1].Should().BeGreaterThan(0.5);
    }

    [Fact]
    public void Invalid_configuration_reports_every_wrong_field_at_once()
    {
        var config = new SchedulerConfig { NumTrainTimesteps = 1, BetaStart = 0.5, BetaEnd = 0.1 };

        var act = () => config.Validate();

        act.Should().Throw<OptionsValidationException>()
            .WithMessage("*NumTrainTimesteps*")
            .WithMessage("*BetaEnd (0.1) must not be smaller than BetaStart (0.5)*");
    }

    [Fact]
    public void Defaults_are_the_ddpm_papers()
    {
        var config = new SchedulerConfig();
        config.NumTrainTimesteps.Should().Be(1000);
        config.BetaStart.Should().Be(1e-4);
        config.BetaEnd.Should().Be(0.02);
        config.BetaSchedule.Should().Be(BetaSchedule.Linear);
        config.PredictionType.Should().Be(PredictionType.Epsilon);
        config.TimestepSpacing.Should().Be(TimestepSpacing.Leading);
        config.ClipSample.Should().BeTrue();
        config.SetAlphaToOne.Should().BeTrue();
    }
}
