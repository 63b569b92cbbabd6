// The demo seeds torch's process-wide generator (dropout and randn draw from it) and the smoke runs compare a resumed
// run with the first one; test classes running in parallel would draw from that generator in between.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
