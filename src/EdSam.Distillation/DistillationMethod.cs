namespace EdSam.Distillation;

/// <summary>What <see cref="Vl2vAdipTrainer"/> trains: the method itself, its white-box variant, or a baseline to compare with.</summary>
public enum DistillationMethod
{
    /// <summary>VL2V-ADiP: stage 1 aligns a projection P (backbone frozen), stage 2 distils into the backbone (P frozen); predictions are 100·cos with the teacher's text classifier.</summary>
    Vl2vAdip,

    /// <summary>VL2V-SD (self-distillation): the student is a copy of the teacher's own image encoder, trained with the same loss, without a projection.</summary>
    Vl2vSd,

    /// <summary>Empirical risk minimisation baseline: backbone + linear head fine-tuned with cross-entropy.</summary>
    Erm,

    /// <summary>Knowledge-distillation baseline: cross-entropy plus KL divergence to the teacher's zero-shot class probabilities at a temperature.</summary>
    KnowledgeDistillation,
}

/// <summary>Which prompts build the text classifier T_c.</summary>
public enum PromptStyle
{
    /// <summary>The single template <c>"a photo of a {class}"</c> (as in the official code, no full stop).</summary>
    Photo,

    /// <summary><c>"a {domain} of a {class}"</c> averaged over the source domains (the paper reports this beats the single template).</summary>
    SourceDomains,
}
