using System.Security.Cryptography;

namespace EdSam.Distillation;

/// <summary>
/// What produced a <see cref="TeacherEmbeddingCache"/>'s embeddings. A cache whose stored identity differs in any
/// field is stale and is rebuilt, never silently used.
/// </summary>
/// <param name="Teacher">The teacher model's name or architecture (for example <c>ViT-L-14 openai</c>).</param>
/// <param name="WeightsHash">A hash of the teacher's weights (see <see cref="HashFile"/>), so a re-trained or swapped checkpoint invalidates the cache.</param>
/// <param name="Preprocessing">A description of the image preprocessing (size, crop, mean/std), so a changed pipeline invalidates the cache.</param>
public sealed record TeacherCacheIdentity(string Teacher, string WeightsHash, string Preprocessing)
{
    /// <summary>Creates an identity whose <see cref="WeightsHash"/> is the SHA-256 of the teacher's weights file.</summary>
    /// <param name="teacher">The teacher model's name or architecture.</param>
    /// <param name="weightsPath">The teacher's checkpoint (read in full once; about a second per GB).</param>
    /// <param name="preprocessing">A description of the image preprocessing.</param>
    /// <returns>The identity.</returns>
    /// <exception cref="FileNotFoundException">The weights file does not exist.</exception>
    public static TeacherCacheIdentity FromWeightsFile(string teacher, string weightsPath, string preprocessing) =>
        new(teacher, HashFile(weightsPath), preprocessing);

    /// <summary>SHA-256 of a file, as lowercase hex.</summary>
    /// <param name="path">The file.</param>
    /// <returns>64 hex digits.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static string HashFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Teacher weights file '{path}' does not exist.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Checks that every field is non-empty.</summary>
    /// <exception cref="OptionsValidationException">A field is null or blank; the message lists every one.</exception>
    /// <returns>This instance, so a record can be validated where it is built.</returns>
    public TeacherCacheIdentity Validate()
    {
        var blank = new[] { (nameof(Teacher), Teacher), (nameof(WeightsHash), WeightsHash), (nameof(Preprocessing), Preprocessing) }
            .Where(f => string.IsNullOrWhiteSpace(f.Item2)).Select(f => f.Item1).ToList();
        if (blank.Count > 0)
            throw new OptionsValidationException(nameof(TeacherCacheIdentity), [$"{string.Join(", ", blank)} must not be empty (they decide whether a cache is stale)."]);
        return this;
    }
}
