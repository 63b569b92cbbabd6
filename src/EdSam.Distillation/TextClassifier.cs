using EdSam.Clip;
using EdSam.Distillation.Heads;
using static TorchSharp.torch;

namespace EdSam.Distillation;

/// <summary>
/// Builds VL2V-ADiP's text classifier T_c: for each class, every prompt is embedded by the teacher's text encoder and
/// L2-normalised, the prompts are averaged and the mean renormalised; logits are exp(logit_scale)·cos (100 for CLIP).
/// </summary>
/// <remarks>The embedding formula is <see cref="ZeroShotClassifier"/>'s (one implementation in the code base); this class
/// only chooses the prompts and wraps the result in a fixed <see cref="TextClassifierHead"/>.</remarks>
public static class TextClassifier
{
    /// <summary>VL2V-ADiP's default template.</summary>
    public const string PhotoTemplate = "a photo of a {class}";

    /// <summary>The prompt templates for a prompt style.</summary>
    /// <param name="style">Single photo template or one template per source domain.</param>
    /// <param name="sourceDomains">The training domains (for <see cref="PromptStyle.SourceDomains"/>); underscores become spaces (<c>art_painting</c> → "an art painting of a {class}").</param>
    /// <returns>The templates, each with a <c>{class}</c> placeholder.</returns>
    /// <exception cref="ArgumentException">Domain templates are asked for without any source domain.</exception>
    public static IReadOnlyList<string> Templates(PromptStyle style, IReadOnlyList<string> sourceDomains)
    {
        ArgumentNullException.ThrowIfNull(sourceDomains);
        if (style == PromptStyle.Photo) return [PhotoTemplate];
        if (sourceDomains.Count == 0)
            throw new ArgumentException("Domain prompt templates need at least one source domain name.", nameof(sourceDomains));
        return sourceDomains.Select(d =>
        {
            string domain = d.Replace('_', ' ').Trim();
            string article = domain.Length > 0 && "aeiouAEIOU".Contains(domain[0]) ? "an" : "a";
            return $"{article} {domain} of a {{class}}";
        }).ToArray();
    }

    /// <summary>Embeds the class prompts with the teacher and returns the fixed classifier head.</summary>
    /// <param name="teacher">The CLIP teacher (not modified).</param>
    /// <param name="tokenize">Prompts → int64 tokens <c>[n, context]</c>.</param>
    /// <param name="classNames">Class names in label order.</param>
    /// <param name="templates">Prompt templates with a <c>{}</c> or <c>{class}</c> placeholder.</param>
    /// <returns>A <see cref="TextClassifierHead"/> with rows T_c (float32, on the teacher's device) and scale exp(logit_scale).</returns>
    /// <exception cref="ArgumentException">No class names, a blank name, no templates or a template without placeholder.</exception>
    public static TextClassifierHead Create(ClipModel teacher, Func<IReadOnlyList<string>, Tensor> tokenize,
        IReadOnlyList<string> classNames, IReadOnlyList<string> templates)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        using var zeroShot = new ZeroShotClassifier(teacher, tokenize, classNames, templates);
        return new TextClassifierHead(zeroShot.ClassEmbeddings, teacher.LogitScale);
    }
}
