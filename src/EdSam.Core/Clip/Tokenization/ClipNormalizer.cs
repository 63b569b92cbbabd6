using Microsoft.ML.Tokenizers;

namespace EdSam.Clip.Tokenization;

/// <summary>Plugs <see cref="ClipTextCleaner"/> into <c>Microsoft.ML.Tokenizers</c> as its normalisation step.</summary>
internal sealed class ClipNormalizer : Normalizer
{
    /// <summary>The one instance; the cleaner has no state.</summary>
    public static ClipNormalizer Instance { get; } = new();

    /// <inheritdoc />
    public override string Normalize(string original) => ClipTextCleaner.Clean(original);

    /// <inheritdoc />
    public override string Normalize(ReadOnlySpan<char> original) => ClipTextCleaner.Clean(original.ToString());
}
