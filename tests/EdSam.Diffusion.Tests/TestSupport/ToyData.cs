using EdSam.Data;
using static TorchSharp.torch;

namespace EdSam.Diffusion.Tests.TestSupport;

/// <summary>Tiny labelled, captioned image sets made in memory.</summary>
internal static class ToyData
{
    public static readonly string[] ClassNames = ["red square", "blue square"];

    /// <summary>Class 0 images are reddish, class 1 bluish, with seeded noise; captions "a {domain} of a {class}".</summary>
    public static Example[] Examples(int count, int size = 8, string domain = "photo", long seed = 1)
    {
        using var g = new Generator((ulong)seed);
        var examples = new Example[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % 2;
            var image = rand(new long[] { 3, size, size }, generator: g) * 0.3;
            image[label == 0 ? 0 : 2].add_(0.7);
            var pixels = image.clamp(0, 1).DetachFromDisposeScope();
            examples[i] = new Example($"{domain}/{i:D4}", ImageSource.FromTensor(pixels, $"toy {domain} {i}"))
            {
                Caption = $"a {domain} of a {ClassNames[label]}",
                Label = label,
                Domain = domain,
            };
        }
        return examples;
    }
}
