using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>
/// Makes training repeatable on CPU. The determinism design of EdSam trainers:
/// <list type="number">
/// <item><see cref="Seed"/> seeds torch's default generator once at the start of <c>Fit</c>; every random op that
/// takes no generator (dropout, <c>torch.randn</c>, weight initialisation) draws from it.</item>
/// <item>Data order is a pure function of (seed, epoch): <see cref="EpochPermutation"/>. A run resumed in the middle of an
/// epoch recomputes that epoch's order from the epoch number alone, and changing the model (more or fewer random ops)
/// does not change which examples are seen when.</item>
/// <item>Other trainer-side randomness (augmentation, adversarial noise) draws from the trainer-owned
/// <see cref="Generator"/> returned by <see cref="Seed"/>.</item>
/// <item>Draws that belong to one item or step (an example's transport noise, a row's augmentation) use a generator seeded
/// by <see cref="ForKey"/>, so they do not depend on what was drawn before them.</item>
/// <item><see cref="CheckpointManager"/> saves and restores the generator states (the default generator always;
/// trainer-owned ones when listed in <see cref="CheckpointContents.Generators"/>), so a resumed run draws the same numbers
/// as an uninterrupted one.</item>
/// </list>
/// </summary>
public static class Seeding
{
    /// <summary>Odd constants (golden-ratio and SplitMix64 multipliers) mixed into derived seeds, so the generators never share a stream.</summary>
    private const ulong TrainerSalt = 0x9E3779B97F4A7C15UL;
    private const ulong EpochMultiplier = 0xBF58476D1CE4E5B9UL;

    /// <summary>Seeds torch's default generator and returns a fresh trainer-owned CPU generator.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <returns>A CPU <see cref="Generator"/> seeded from <paramref name="seed"/> (different from the default generator's
    /// stream), for trainer-side draws such as <c>torch.randn(shape, generator: g)</c>; list it in
    /// <see cref="CheckpointContents.Generators"/> so resumes continue its stream. The caller owns (and disposes) it.</returns>
    public static Generator Seed(long seed)
    {
        torch.manual_seed(seed);
        return new Generator(unchecked((ulong)seed ^ TrainerSalt), torch.CPU);
    }

    /// <summary>The data order of one epoch: a random permutation of 0..<paramref name="count"/>−1 that depends only on
    /// (<paramref name="seed"/>, <paramref name="epoch"/>), so a resumed run recomputes it without saved state.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="epoch">The 0-based epoch.</param>
    /// <param name="count">The number of examples; ≥ 0.</param>
    /// <returns>The permutation as a .NET array.</returns>
    public static long[] EpochPermutation(long seed, long epoch, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ulong derived = unchecked(((ulong)seed ^ TrainerSalt) + ((ulong)epoch + 1) * EpochMultiplier);
        using var generator = new Generator(derived, torch.CPU);
        return Permutation(generator, count);
    }

    /// <summary>
    /// A seed derived from the run's seed and a stable key (an example's key, <c>"epoch/3"</c>, <c>"augment/12/5"</c>), so
    /// a draw tied to that key is the same in every run, process and resume, whatever else was drawn before it.
    /// </summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="key">What the draw belongs to.</param>
    /// <returns>A non-negative 63-bit seed: FNV-1a (64 bit) over the seed's 8 little-endian bytes and the key's UTF-8 bytes
    /// — stable across processes and .NET versions, unlike <see cref="string.GetHashCode()"/>.</returns>
    public static long ForKey(long seed, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        ulong hash = FnvOffsetBasis;
        foreach (byte b in BitConverter.GetBytes(seed).Concat(System.Text.Encoding.UTF8.GetBytes(key))) hash = unchecked((hash ^ b) * FnvPrime);
        return unchecked((long)(hash & 0x7FFF_FFFF_FFFF_FFFF));
    }

    private const ulong FnvOffsetBasis = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    /// <summary>A random permutation of 0..<paramref name="count"/>−1 drawn from <paramref name="generator"/> (advancing it).</summary>
    /// <param name="generator">The generator to draw from.</param>
    /// <param name="count">The number of items; ≥ 0.</param>
    /// <returns>The permutation as a .NET array.</returns>
    public static long[] Permutation(Generator generator, long count)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var permutation = torch.randperm(count, generator: generator, dtype: ScalarType.Int64);
        return permutation.data<long>().ToArray();
    }
}
