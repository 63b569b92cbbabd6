namespace EdSam.Data.Augmentation;

/// <summary>The standard pipelines.</summary>
public static class Transforms
{
    /// <summary>DomainBed/SWAD training augmentation: <see cref="RandomResizedCrop"/>(size, scale 0.7–1),
    /// <see cref="RandomHorizontalFlip"/>(0.5), <see cref="ColorJitter"/>(0.3, 0.3, 0.3, 0.3),
    /// <see cref="RandomGrayscale"/>(0.1), then <paramref name="normalize"/>.</summary>
    /// <param name="size">Output side in pixels (224 for CLIP ViT-B).</param>
    /// <param name="normalize">Final normalisation; <see cref="Normalize.Clip"/> when null.</param>
    public static Compose DomainGeneralizationTraining(int size = 224, Normalize? normalize = null) =>
        new(new RandomResizedCrop(size, 0.7, 1.0),
            new RandomHorizontalFlip(0.5),
            new ColorJitter(0.3, 0.3, 0.3, 0.3),
            new RandomGrayscale(0.1),
            normalize ?? Normalize.Clip);

    /// <summary>Evaluation preprocessing: bicubic <see cref="Resize"/> of the shorter side to <paramref name="size"/>,
    /// <see cref="CenterCrop"/> a square, then <paramref name="normalize"/> — with the defaults, exactly CLIP's
    /// own preprocessing (<see cref="Clip.ImagePreprocessor"/>).</summary>
    /// <param name="size">Output side in pixels.</param>
    /// <param name="normalize">Final normalisation; <see cref="Normalize.Clip"/> when null.</param>
    public static Compose Evaluation(int size = 224, Normalize? normalize = null) =>
        new(new Resize(size), new CenterCrop(size), normalize ?? Normalize.Clip);

    /// <summary>A model's own evaluation preprocessing as a pipeline.</summary>
    /// <param name="options">Its <see cref="Clip.ImagePreprocessorOptions"/> (size, statistics, filter).</param>
    public static Compose Evaluation(Clip.ImagePreprocessorOptions options) => new(new Preprocess(new Clip.ImagePreprocessor(options)));
}
