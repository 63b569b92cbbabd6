using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Training;

/// <summary>
/// Makes training repeatable on CPU. The determinism design of EdSam trainers:
/// <list type="number">
/// <item><see cref="Seed"/> seeds torch's default generator once at the start of <c>Fit</c>; every random op that
/// takes no generator (dropout, <c>torch.randn</c>, weight initialisation) draws from it.</item>
/// <item>Data order comes from a separate, trainer-owned <see cref="Generator"/> (returned by <see cref="Seed"/>), so
/// changing the model (more or fewer random ops) does not change which examples are seen when.</item>
/// <item><see cref="CheckpointManager"/> saves and restores both states (the default generator always; the data-order
/// generator when listed in <see cref="CheckpointContents.Generators"/>), so a resumed run draws the same numbers as an
/// uninterrupted one.</item>
/// </list>
/// </summary>
public static class Seeding
{
    /// <summary>An arbitrary odd constant mixed into the data-order seed, so the two generators never share a stream.</summary>
    private const ulong DataOrderSalt = 0x9E3779B97F4A7C15UL;

    /// <summary>Seeds torch's default generator and returns a fresh CPU generator for data order.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <returns>A CPU <see cref="Generator"/> seeded from <paramref name="seed"/>, for <c>torch.randperm(n, generator: g)</c>;
    /// the caller owns (and disposes) it.</returns>
    public static Generator Seed(long seed)
    {
        torch.manual_seed(seed);
        return new Generator(unchecked((ulong)seed ^ DataOrderSalt), torch.CPU);
    }

    /// <summary>A random permutation of 0..<paramref name="count"/>−1 drawn from <paramref name="generator"/> (an epoch's data order).</summary>
    /// <param name="generator">The data-order generator (advanced by the call).</param>
    /// <param name="count">The number of examples; ≥ 0.</param>
    /// <returns>The permutation as a .NET array.</returns>
    public static long[] Permutation(Generator generator, long count)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var permutation = torch.randperm(count, generator: generator, dtype: ScalarType.Int64);
        return permutation.data<long>().ToArray();
    }
}
