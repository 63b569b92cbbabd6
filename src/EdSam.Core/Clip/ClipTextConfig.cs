namespace EdSam.Clip;

/// <summary>The text tower of a <see cref="ClipConfig"/>: the <c>text_cfg</c> object of an open_clip model config.</summary>
public sealed record ClipTextConfig
{
    /// <summary>Tokens per caption (<c>context_length</c>), including SOT and EOT.</summary>
    /// <value>The default value is 77.</value>
    public int ContextLength { get; init; } = 77;

    /// <summary>Token vocabulary size (<c>vocab_size</c>).</summary>
    /// <value>The default value is 49,408 (the CLIP BPE vocabulary).</value>
    public int VocabSize { get; init; } = 49408;

    /// <summary>Hidden size of the text transformer (<c>width</c>).</summary>
    public required int Width { get; init; }

    /// <summary>Attention heads (<c>heads</c>).</summary>
    public required int Heads { get; init; }

    /// <summary>Number of transformer blocks (<c>layers</c>).</summary>
    public required int Layers { get; init; }

    /// <summary>MLP hidden size as a multiple of <see cref="Width"/> (<c>mlp_ratio</c>).</summary>
    /// <value>The default value is 4.</value>
    public double MlpRatio { get; init; } = 4.0;

    internal IEnumerable<string> Problems()
    {
        if (ContextLength <= 0) yield return $"text_cfg.context_length must be positive (got {ContextLength})";
        if (VocabSize <= 0) yield return $"text_cfg.vocab_size must be positive (got {VocabSize})";
        if (Width <= 0) yield return $"text_cfg.width must be positive (got {Width})";
        if (Heads <= 0) yield return $"text_cfg.heads must be positive (got {Heads})";
        else if (Width > 0 && Width % Heads != 0) yield return $"text_cfg.width ({Width}) must be a multiple of text_cfg.heads ({Heads})";
        if (Layers <= 0) yield return $"text_cfg.layers must be positive (got {Layers})";
        if (!(MlpRatio > 0) || double.IsInfinity(MlpRatio)) yield return $"text_cfg.mlp_ratio must be positive (got {MlpRatio})";
    }
}
