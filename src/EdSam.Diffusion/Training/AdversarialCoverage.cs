namespace EdSam.Diffusion.Training;

/// <summary>
/// How many training examples have adversarial samples in the source <see cref="EdSamTrainer"/> trained with, counted
/// before the first step (<see cref="Transport.IAdversarialSampleSource.HasSamples"/>). Examples without samples are
/// trained on their real image only: the adversarial term of a step averages over the batch rows that have one.
/// </summary>
/// <param name="Covered">Training examples with at least one sample; ≥ 1 (with none, training is refused).</param>
/// <param name="Checked">Training examples checked (all of them).</param>
/// <param name="Source">The source's <see cref="Transport.IAdversarialSampleSource.Description"/>.</param>
public sealed record AdversarialCoverage(int Covered, int Checked, string Source)
{
    /// <summary>Covered / Checked, in (0, 1].</summary>
    public double Fraction => Checked == 0 ? 0 : (double)Covered / Checked;

    /// <summary>True when every training example has samples.</summary>
    public bool IsComplete => Covered == Checked;
}
