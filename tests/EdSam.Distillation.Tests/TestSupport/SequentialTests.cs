// Trainers seed torch's process-wide generator (dropout and randn draw from it), and these tests compare seeded runs
// bit for bit; test classes running in parallel would draw from that generator in between and make them flaky.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
