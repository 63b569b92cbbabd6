using static TorchSharp.torch;

namespace EdSam.Diffusion.Schedulers;

/// <summary>The result of one reverse step.</summary>
/// <param name="PrevSample">x_{t−1} (or the sample at the previous inference timestep).</param>
/// <param name="PredOriginalSample">The model's estimate of x₀ at this step.</param>
public sealed record SchedulerStepOutput(Tensor PrevSample, Tensor PredOriginalSample);
