namespace EdSam.Tests.Training;

/// <summary>
/// Tests that draw from torch's process-wide default generator (manual_seed, dropout, randn) run alone: a test in
/// another class drawing concurrently would shift their random streams.
/// </summary>
[CollectionDefinition(nameof(GlobalTorchRandom), DisableParallelization = true)]
public sealed class GlobalTorchRandom;
