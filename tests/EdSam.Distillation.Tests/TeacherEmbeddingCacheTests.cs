using EdSam.Distillation.Tests.TestSupport;
using EdSam.IO;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests;

public class TeacherEmbeddingCacheTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly TeacherCacheIdentity _identity = new("tiny-teacher", "hash-1", "resize 8, normalise 0.5/0.5");
    private readonly List<string> _loaded = [];
    private int _teacherImages;

    public void Dispose() => _folder.Dispose();

    private static string[] Keys(int count, string prefix = "img") => [.. Enumerable.Range(0, count).Select(i => $"{prefix}/{i}.jpg")];

    /// <summary>A deterministic "image" per key: every pixel equals the key's number.</summary>
    private Tensor LoadImages(IReadOnlyList<string> keys)
    {
        _loaded.AddRange(keys);
        var values = keys.Select(k => (float)int.Parse(Path.GetFileNameWithoutExtension(k))).ToArray();
        return tensor(values).reshape(keys.Count, 1, 1, 1).expand(keys.Count, 3, 2, 2).contiguous();
    }

    /// <summary>A "teacher" whose embedding of image v is [v, 2v, -v] (its mean over pixels, scaled).</summary>
    private Tensor Teacher(Tensor images)
    {
        _teacherImages += (int)images.shape[0];
        var mean = images.mean([1, 2, 3]).unsqueeze(1);
        return cat([mean, mean.mul(2), mean.neg()], 1);
    }

    private TeacherEmbeddingCache Run(string path, IReadOnlyList<string> keys, TeacherCacheIdentity? identity = null, TeacherCacheOptions? options = null, CancellationToken token = default) =>
        TeacherEmbeddingCache.LoadOrBuild(path, identity ?? _identity, keys, LoadImages, Teacher, options ?? new TeacherCacheOptions { BatchSize = 4 }, token);

    private static void ShouldHoldTeacherEmbeddings(TeacherEmbeddingCache cache, IReadOnlyList<string> keys)
    {
        using var got = cache.Get(keys);
        var expected = keys.SelectMany(k => { float v = int.Parse(Path.GetFileNameWithoutExtension(k)); return new[] { v, 2 * v, -v }; }).ToArray();
        got.shape.Should().Equal(keys.Count, 3);
        got.data<float>().ToArray().Should().Equal(expected);
    }

    [Fact]
    public void Miss_builds_then_hit_computes_nothing()
    {
        string path = _folder.File("cache/teacher.safetensors");
        var keys = Keys(10);
        using (var built = Run(path, keys))
        {
            built.Status.Should().Be(TeacherCacheStatus.Built);
            ShouldHoldTeacherEmbeddings(built, keys);
        }
        _teacherImages.Should().Be(10);
        _loaded.Should().HaveCount(10);

        using var hit = Run(path, keys.Reverse().ToArray());
        hit.Status.Should().Be(TeacherCacheStatus.Hit);
        _teacherImages.Should().Be(10, "a hit runs neither the teacher nor the image loader");
        _loaded.Should().HaveCount(10);
        ShouldHoldTeacherEmbeddings(hit, keys);
        SafeTensors.ReadMetadata(path).Should().Contain(new KeyValuePair<string, string>("teacher_hash", "hash-1"));
    }

    [Theory]
    [InlineData("teacher")]
    [InlineData("hash")]
    [InlineData("preprocessing")]
    public void A_different_teacher_weights_or_preprocessing_makes_the_cache_stale(string changed)
    {
        string path = _folder.File("teacher.safetensors");
        var keys = Keys(6);
        Run(path, keys).Dispose();
        var other = changed switch
        {
            "teacher" => _identity with { Teacher = "other" },
            "hash" => _identity with { WeightsHash = "hash-2" },
            _ => _identity with { Preprocessing = "resize 16" },
        };

        using var rebuilt = Run(path, keys, other);
        rebuilt.Status.Should().Be(TeacherCacheStatus.Rebuilt);
        rebuilt.StaleReason.Should().Contain(changed);
        _teacherImages.Should().Be(12, "every embedding is recomputed");

        using var hit = Run(path, keys, other);
        hit.Status.Should().Be(TeacherCacheStatus.Hit);
        TeacherEmbeddingCache.TryOpen(path, _identity, out string? reason).Should().BeNull();
        reason.Should().Contain("another teacher");
    }

    [Fact]
    public void New_keys_extend_the_cache_computing_only_them()
    {
        string path = _folder.File("teacher.safetensors");
        Run(path, Keys(5)).Dispose();
        var more = Keys(8);
        using var extended = Run(path, more);
        extended.Status.Should().Be(TeacherCacheStatus.Extended);
        _teacherImages.Should().Be(8);
        _loaded.Skip(5).Should().Equal("img/5.jpg", "img/6.jpg", "img/7.jpg");
        ShouldHoldTeacherEmbeddings(extended, more);
        extended.Count.Should().Be(8);
    }

    [Fact]
    public void Cancellation_saves_the_batches_already_computed()
    {
        string path = _folder.File("teacher.safetensors");
        var keys = Keys(12);
        using var cancel = new CancellationTokenSource();
        var options = new TeacherCacheOptions { BatchSize = 4, Progress = new SynchronousProgress(done => { if (done >= 4) cancel.Cancel(); }) };

        FluentActions.Invoking(() => Run(path, keys, options: options, token: cancel.Token)).Should().Throw<OperationCanceledException>();
        _teacherImages.Should().Be(4);

        using var resumed = Run(path, keys);
        resumed.Status.Should().Be(TeacherCacheStatus.Extended);
        _teacherImages.Should().Be(12, "only the 8 embeddings not saved before cancelling are computed");
        ShouldHoldTeacherEmbeddings(resumed, keys);
    }

    [Fact]
    public void A_corrupt_file_is_rebuilt_not_used()
    {
        string path = _folder.File("teacher.safetensors");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        using var cache = Run(path, Keys(3));
        cache.Status.Should().Be(TeacherCacheStatus.Rebuilt);
        cache.StaleReason.Should().Contain("unreadable");
        ShouldHoldTeacherEmbeddings(cache, Keys(3));
    }

    [Fact]
    public void Unknown_keys_and_wrong_teacher_shapes_are_reported_clearly()
    {
        string path = _folder.File("teacher.safetensors");
        using (var cache = Run(path, Keys(2)))
            cache.Invoking(c => c.Get(["img/9.jpg"])).Should().Throw<KeyNotFoundException>().WithMessage("*'img/9.jpg'*");

        FluentActions.Invoking(() => TeacherEmbeddingCache.LoadOrBuild(_folder.File("other.safetensors"), _identity, Keys(2), LoadImages, images => zeros(5, 3)))
            .Should().Throw<InvalidOperationException>().WithMessage("*[5, 3]*2 images*");
        FluentActions.Invoking(() => Run(path, ["img/0.jpg", ""])).Should().Throw<ArgumentException>().WithMessage("*#1*");
        FluentActions.Invoking(() => Run(path, Keys(2), _identity with { WeightsHash = " " })).Should().Throw<ArgumentException>().WithMessage("*WeightsHash*");
    }

    [Fact]
    public void HashFile_is_the_sha256_of_the_file()
    {
        string path = _folder.File("weights.bin");
        File.WriteAllText(path, "abc");
        // SHA-256("abc"), FIPS 180-2 test vector.
        TeacherCacheIdentity.HashFile(path).Should().Be("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
