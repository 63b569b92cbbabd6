using EdSam.Diffusion.Tests.TestSupport;
using EdSam.Diffusion.Transport;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.Transport;

public sealed class AdversarialDiffusionSamplerTests
{
    private static AdversarialDiffusionSampler Sampler(TinyDenoiser denoiser, int batchSize, int m = 3, double rho = 0.5) =>
        new(new TransportTransformation(denoiser, new TransportOptions { SamplesPerImage = m, SamplingSteps = 2, Rho = rho, Seed = 5 }), batchSize);

    [Fact]
    public void Makes_m_samples_per_image_of_the_denoisers_size_source_major()
    {
        using var denoiser = new TinyDenoiser();
        var examples = ToyData.Examples(5, size: 12);
        var samples = Sampler(denoiser, batchSize: 2).Generate(examples).ToList();
        try
        {
            samples.Should().HaveCount(15);
            for (int i = 0; i < 15; i++)
            {
                samples[i].Source.Should().BeSameAs(examples[i / 3]);
                samples[i].SampleIndex.Should().Be(i % 3);
                samples[i].Image.shape.Should().Equal(3, 8, 8);
                Math.Abs(samples[i].Alpha).Should().BeLessThanOrEqualTo(0.5);
            }
            denoiser.Calls.Should().Be(3 * 2, "three batches (2+2+1 images × M rows each) of two DDIM steps");
        }
        finally
        {
            samples.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void An_examples_samples_do_not_depend_on_batching()
    {
        using var denoiser = new TinyDenoiser();
        var examples = ToyData.Examples(4);
        var one = Sampler(denoiser, batchSize: 1).Generate(examples).ToList();
        var four = Sampler(denoiser, batchSize: 4).Generate(examples.Reverse().ToArray()).Reverse().ToList();
        try
        {
            // Reversing the examples reverses sources, and reversing the output restores them but reverses sample order within each source.
            for (int i = 0; i < one.Count; i++)
            {
                var match = four.Single(s => s.Source.Key == one[i].Source.Key && s.SampleIndex == one[i].SampleIndex);
                (match.Image - one[i].Image).abs().max().item<float>().Should().BeLessThan(1e-5f);
                match.Alpha.Should().Be(one[i].Alpha);
            }
        }
        finally
        {
            one.ForEach(s => s.Dispose());
            four.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Generating_batches_leaks_no_tensors()
    {
        using var denoiser = new TinyDenoiser();
        var sampler = Sampler(denoiser, batchSize: 2);
        var examples = ToyData.Examples(2);
        foreach (var s in sampler.GenerateBatch(examples)) s.Dispose();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 3; i++)
            foreach (var s in sampler.GenerateBatch(examples)) s.Dispose();
        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before);
    }

    [Fact]
    public void Sampler_source_serves_cached_samples_and_regenerates_evicted_ones_identically()
    {
        using var denoiser = new TinyDenoiser();
        var examples = ToyData.Examples(3);
        using var cached = new SamplerAdversarialSource(Sampler(denoiser, 2), capacity: 1);
        using var scope = NewDisposeScope();
        var first = cached.Get(examples, [0, 1, 2]);
        cached.Generated.Should().Be(3);
        var again = cached.Get([examples[2]], [2]);
        cached.Generated.Should().Be(3, "the last example is still cached");
        (again[0]! - first[2]!).abs().max().item<float>().Should().Be(0);
        var regenerated = cached.Get([examples[0]], [4]);   // evicted; 4 % M = 1
        cached.Generated.Should().Be(4);
        var fresh = Sampler(denoiser, 2).GenerateBatch([examples[0]]);
        (regenerated[0]! - fresh[1].Image).abs().max().item<float>().Should().Be(0);
        (first[0]! - fresh[0].Image).abs().max().item<float>().Should().Be(0);
    }
}
