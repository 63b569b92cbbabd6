using System.Globalization;

namespace EdSam.Data.WebDataset;

/// <summary>Shard lists: brace expansion of shard patterns (as WebDataset and img2dataset write them) and the
/// split of a shard list over workers, so a Slurm array or a Kubernetes indexed Job can fan one job out.</summary>
public static class ShardList
{
    /// <summary>Expands brace patterns: numeric ranges <c>{000000..000099}</c> (zero padding kept: the width
    /// of the widest bound when a bound has a leading zero; descending ranges count down; an optional step
    /// <c>{0..10..2}</c>) and lists <c>{train,val}</c> (which may nest). Several groups give their product, the
    /// leftmost group varying slowest. A pattern without braces, or a group that is neither (<c>{x}</c>), stays literal.</summary>
    /// <param name="pattern">The pattern, e.g. <c>/data/cc3m/{00000..00331}.tar</c>.</param>
    /// <returns>The expanded names, in order.</returns>
    /// <exception cref="FormatException">Unbalanced braces or a malformed range; the message quotes the pattern.</exception>
    public static IReadOnlyList<string> Expand(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var result = new List<string>();
        ExpandInto(pattern, pattern, result);
        return result;
    }

    /// <summary>The shards worker <paramref name="shardIndex"/> of <paramref name="shardCount"/> takes: shard
    /// <c>i</c> goes to worker <c>i % shardCount</c>, so the workers together cover every shard exactly once
    /// and each worker's share differs in size by at most one.</summary>
    /// <param name="shards">All shards, in order.</param>
    /// <param name="shardIndex">This worker's index, 0 ≤ index &lt; count (a Slurm <c>SLURM_ARRAY_TASK_ID</c>,
    /// a Kubernetes <c>JOB_COMPLETION_INDEX</c>).</param>
    /// <param name="shardCount">Number of workers, ≥ 1.</param>
    /// <returns>This worker's shards, in order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Count &lt; 1 or index outside [0, count).</exception>
    public static IReadOnlyList<string> ForWorker(IReadOnlyList<string> shards, int shardIndex, int shardCount)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ValidateWorker(shardIndex, shardCount);
        var mine = new List<string>();
        for (int i = shardIndex; i < shards.Count; i += shardCount) mine.Add(shards[i]);
        return mine;
    }

    internal static void ValidateWorker(int shardIndex, int shardCount)
    {
        if (shardCount < 1) throw new ArgumentOutOfRangeException(nameof(shardCount), shardCount, "The shard count must be at least 1.");
        if (shardIndex < 0 || shardIndex >= shardCount)
            throw new ArgumentOutOfRangeException(nameof(shardIndex), shardIndex, $"The shard index must be in [0, {shardCount}).");
    }

    private static void ExpandInto(string pattern, string original, List<string> output) => ExpandInto("", pattern, original, output);

    /// <summary>Expands <paramref name="pattern"/> and appends each result, prefixed by the already expanded
    /// <paramref name="done"/>, to <paramref name="output"/>.</summary>
    private static void ExpandInto(string done, string pattern, string original, List<string> output)
    {
        int open = pattern.IndexOf('{');
        if (open < 0)
        {
            if (pattern.Contains('}')) throw new FormatException($"Unbalanced '}}' in shard pattern '{original}'.");
            output.Add(done + pattern);
            return;
        }
        int close = MatchingBrace(pattern, open, original);
        string prefix = pattern[..open], body = pattern[(open + 1)..close], suffix = pattern[(close + 1)..];
        if (prefix.Contains('}')) throw new FormatException($"Unbalanced '}}' in shard pattern '{original}'.");
        if (Alternatives(body, original) is not { } alternatives)
        {
            // A group that is neither a list nor a range ("{x}") stays literal, as in the shell and braceexpand.
            ExpandInto(done + prefix + "{" + body + "}", suffix, original, output);
            return;
        }
        foreach (string alternative in alternatives)
            ExpandInto(done + prefix, alternative + suffix, original, output);
    }

    private static int MatchingBrace(string pattern, int open, string original)
    {
        int depth = 0;
        for (int i = open; i < pattern.Length; i++)
        {
            if (pattern[i] == '{') depth++;
            else if (pattern[i] == '}' && --depth == 0) return i;
        }
        throw new FormatException($"Unbalanced '{{' in shard pattern '{original}'.");
    }

    /// <summary>The alternatives of one brace group's body: a numeric range, or a comma list (items may hold
    /// nested groups, expanded later by the caller's recursion); null when the group is neither.</summary>
    private static IEnumerable<string>? Alternatives(string body, string original)
    {
        if (TrySplitTopLevel(body, out var items)) return items;
        string[] parts = body.Split("..");
        if (parts.Length is 2 or 3 && parts.All(p => p.Length > 0))
            return Range(parts, original);
        return null;
    }

    private static bool TrySplitTopLevel(string body, out List<string> items)
    {
        items = [];
        int depth = 0, start = 0;
        for (int i = 0; i < body.Length; i++)
        {
            if (body[i] == '{') depth++;
            else if (body[i] == '}') depth--;
            else if (body[i] == ',' && depth == 0)
            {
                items.Add(body[start..i]);
                start = i + 1;
            }
        }
        if (items.Count == 0) return false;
        items.Add(body[start..]);
        return true;
    }

    private static IEnumerable<string> Range(string[] parts, string original)
    {
        if (!long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long from)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long to))
            throw new FormatException($"Range '{{{string.Join("..", parts)}}}' in shard pattern '{original}' needs non-negative integer bounds.");
        long step = 1;
        if (parts.Length == 3 && (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step == 0))
            throw new FormatException($"Range '{{{string.Join("..", parts)}}}' in shard pattern '{original}' needs a positive integer step.");
        bool padded = (parts[0].Length > 1 && parts[0][0] == '0') || (parts[1].Length > 1 && parts[1][0] == '0');
        int width = padded ? Math.Max(parts[0].Length, parts[1].Length) : 0;
        string format = "D" + width.ToString(CultureInfo.InvariantCulture);
        var values = new List<string>();
        if (from <= to)
            for (long v = from; v <= to; v += step) values.Add(v.ToString(format, CultureInfo.InvariantCulture));
        else
            for (long v = from; v >= to; v -= step) values.Add(v.ToString(format, CultureInfo.InvariantCulture));
        return values;
    }
}
