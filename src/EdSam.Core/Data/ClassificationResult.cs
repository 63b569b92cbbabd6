namespace EdSam.Data;

/// <summary>Top-1 accuracy of a classifier on labelled examples, overall and per domain — what every EdSam evaluation
/// returns (zero-shot CLIP, students, baselines), so domain-generalization results compare directly.</summary>
/// <param name="Accuracy">Top-1 accuracy in [0, 1].</param>
/// <param name="Count">Examples evaluated.</param>
/// <param name="AccuracyByDomain">Accuracy per <c>Example.Domain</c> (examples without a domain are under "").</param>
public sealed record ClassificationResult(double Accuracy, int Count, IReadOnlyDictionary<string, double> AccuracyByDomain)
{
    /// <summary>Scores predictions against the examples' labels.</summary>
    /// <param name="examples">Labelled examples.</param>
    /// <param name="predicted">The predicted class index of each example, in the same order.</param>
    /// <returns>Overall and per-domain accuracy.</returns>
    /// <exception cref="ArgumentException">No examples, a count mismatch, or an example without a label (named by key).</exception>
    public static ClassificationResult Score(IReadOnlyList<Example> examples, IReadOnlyList<long> predicted)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(predicted);
        if (examples.Count == 0) throw new ArgumentException("Evaluation needs at least one example.", nameof(examples));
        if (predicted.Count != examples.Count)
            throw new ArgumentException($"{predicted.Count} predictions for {examples.Count} examples.", nameof(predicted));
        var tally = new Dictionary<string, (int Right, int Total)>(StringComparer.Ordinal);
        for (int i = 0; i < examples.Count; i++)
        {
            long label = examples[i].Label ?? throw new ArgumentException($"Example '{examples[i].Key}' has no label; accuracy needs labelled examples.", nameof(examples));
            string domain = examples[i].Domain ?? "";
            var (right, total) = tally.GetValueOrDefault(domain);
            tally[domain] = (right + (predicted[i] == label ? 1 : 0), total + 1);
        }
        int allRight = tally.Values.Sum(c => c.Right);
        return new ClassificationResult((double)allRight / examples.Count, examples.Count,
            tally.ToDictionary(c => c.Key, c => (double)c.Value.Right / c.Value.Total, StringComparer.Ordinal));
    }
}
