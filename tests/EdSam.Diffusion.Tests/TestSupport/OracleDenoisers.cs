using EdSam.Diffusion.Models;
using EdSam.Diffusion.Schedulers;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.TestSupport;

/// <summary>Knows the clean sample x₀ and returns the exact ε = (x_t − √ᾱ_t·x₀)/√(1−ᾱ_t) (closed form of the forward process).</summary>
internal sealed class OracleDenoiser(Tensor original, SchedulerConfig scheduler) : IDenoiser
{
    private readonly NoiseSchedule _schedule = new(scheduler);

    public SchedulerConfig Scheduler => scheduler;

    public IReadOnlyList<long> SampleShape => original.shape.Skip(1).ToArray();

    public int Calls { get; private set; }

    public Tensor Predict(Tensor noisySample, Tensor timesteps, DiffusionCondition? condition = null)
    {
        Calls++;
        using var scope = NewDisposeScope();
        var alphaBar = tensor(timesteps.data<long>().Select(t => _schedule.AlphasCumprod[t]).ToArray(), dtype: ScalarType.Float32).reshape(-1, 1, 1, 1);
        return scope.MoveToOuter((noisySample - alphaBar.sqrt() * original) / (1 - alphaBar).sqrt());
    }
}

/// <summary>Returns the same ε whatever the input: the case in which DDIM inversion is exact.</summary>
internal sealed class ConstantDenoiser(Tensor epsilon, SchedulerConfig scheduler) : IDenoiser
{
    public SchedulerConfig Scheduler => scheduler;

    public IReadOnlyList<long> SampleShape => epsilon.shape.Skip(1).ToArray();

    public Tensor Predict(Tensor noisySample, Tensor timesteps, DiffusionCondition? condition = null) => epsilon.clone();
}
