using EdSam.Clip;
using EdSam.Distillation.Tests.TestSupport;
using EdSam.IO;
using EdSam.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests;

public class TeacherEmbeddingCacheClipTests
{
    [SkippableFact]
    public void A_clip_teacher_fills_the_cache_with_the_reference_image_features()
    {
        string config = SharedFixtures.Clip("tiny-vit.config.json"), weights = SharedFixtures.Clip("tiny-vit.safetensors");
        var io = SafeTensors.Load(SharedFixtures.Clip("tiny-vit.io.safetensors"));
        try
        {
            using var teacher = ClipModel.FromPretrained(config, weights);
            using var folder = new TemporaryFolder();
            string[] keys = ["a.jpg", "b.jpg", "c.jpg"];
            var identity = TeacherCacheIdentity.FromWeightsFile("tiny-vit", weights, "fixture images");
            Tensor Load(IReadOnlyList<string> batch) =>
                io["images"].index_select(0, tensor(batch.Select(k => (long)Array.IndexOf(keys, k)).ToArray()));

            using var cache = TeacherEmbeddingCache.LoadOrBuild(folder.File("clip.safetensors"), identity, keys, Load, teacher, new TeacherCacheOptions { BatchSize = 2 });
            using var features = cache.Get(keys);
            using var error = features.sub(io["image_features"]).abs().max();
            error.item<float>().Should().BeLessThan(1e-4f, "the cached embeddings are the OpenAI reference encode_image outputs");
            identity.WeightsHash.Should().HaveLength(64);
        }
        finally
        {
            foreach (var t in io.Values) t.Dispose();
        }
    }
}
