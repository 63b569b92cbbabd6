namespace EdSam.Demo;

/// <summary>
/// The CLIP checkpoint given with <c>--clip</c>, <c>--clip-config</c> and <c>--vocab</c>, as recorded in a fold's
/// <c>settings.json</c>: full paths plus the SHA-256 of each file, so that resuming a folder with another checkpoint,
/// config or vocabulary (even under the same name) is refused.
/// </summary>
internal sealed record GivenClip
{
    /// <summary>The <c>.safetensors</c> weights (<c>--clip</c>).</summary>
    public required string Weights { get; init; }

    /// <summary>A zoo architecture name (ViT-B-32…) or a config JSON path (<c>--clip-config</c>).</summary>
    public required string Config { get; init; }

    /// <summary>OpenAI's BPE vocabulary, <c>bpe_simple_vocab_16e6.txt.gz</c> (<c>--vocab</c>).</summary>
    public required string Vocab { get; init; }

    /// <summary>SHA-256 of the weights, config file (null for a zoo name) and vocabulary; filled in by <see cref="PretrainedClip.Open"/>.</summary>
    public string? WeightsSha256 { get; init; }

    /// <inheritdoc cref="WeightsSha256"/>
    public string? ConfigSha256 { get; init; }

    /// <inheritdoc cref="WeightsSha256"/>
    public string? VocabSha256 { get; init; }

    /// <summary>The three options together, or null when none was given.</summary>
    /// <exception cref="ArgumentException">Some but not all of the three options were given (the message names the missing ones).</exception>
    public static GivenClip? FromOptions(string? weights, string? config, string? vocab)
    {
        if (weights is null && config is null && vocab is null) return null;
        var missing = new[] { ("--clip", weights), ("--clip-config", config), ("--vocab", vocab) }.Where(o => o.Item2 is null).Select(o => o.Item1).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException(
                $"--clip, --clip-config and --vocab go together (weights, their architecture, OpenAI's BPE vocabulary); missing {string.Join(" and ", missing)}. {DemoSettings.Usage}");
        return new GivenClip { Weights = weights!, Config = config!, Vocab = vocab! };
    }
}
