using EdSam.Clip;
using EdSam.Imaging;
using EdSam.Tests.TestSupport;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

public sealed class ZeroShotClassifierTests
{
    private static readonly string[] Classes = ["dog", "cat", "sneaker", "pullover"];
    private static readonly string[] Templates = ["a photo of a {}.", "a drawing of the {class}.", "itap of a {}."];

    // Reading the 48,894 merges takes a while on a loaded machine: once per test run is enough.
    private static readonly Lazy<ClipTokenizer> RealTokenizer = new(() => ClipTokenizer.FromBpeFile(SharedFixtures.Clip("bpe_simple_vocab_16e6.txt.gz")));

    /// <summary>
    /// The real CLIP BPE tokenizer, with ids folded into the tiny fixture's 1,000-token vocabulary: SOT/EOT become
    /// vocab − 2 / vocab − 1 (as in the fixture's reference tokens, so EOT stays the argmax) and other ids wrap.
    /// </summary>
    private static Func<IReadOnlyList<string>, Tensor> TinyVocabTokenizer(ClipModel model)
    {
        ClipTokenizer tokenizer = RealTokenizer.Value;
        long vocab = model.Config.Text.VocabSize;
        return prompts =>
        {
            using Tensor real = tokenizer.Tokenize(prompts, model.ContextLength);
            using Tensor wrapped = real.remainder(vocab - 2);
            using Tensor withSot = where(real.eq(tokenizer.StartOfTextId), vocab - 2, wrapped);
            return where(real.eq(tokenizer.EndOfTextId), vocab - 1, withSot);
        };
    }

    [SkippableFact]
    public void Class_embeddings_are_the_normalised_mean_of_normalised_prompt_embeddings()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using ClipModel model = fixture.LoadModel();
        var tokenize = TinyVocabTokenizer(model);

        using var classifier = new ZeroShotClassifier(model, tokenize, Classes, Templates);

        classifier.ClassEmbeddings.shape.Should().Equal(Classes.Length, model.EmbedDim);
        using var noGrad = no_grad();
        for (int c = 0; c < Classes.Length; c++)
        {
            string[] prompts = Templates.Select(t => t.Replace("{class}", Classes[c]).Replace("{}", Classes[c])).ToArray();
            prompts[1].Should().Be($"a drawing of the {Classes[c]}.");
            using Tensor tokens = tokenize(prompts);
            using Tensor features = model.EncodeText(tokens);
            using Tensor unit = features.div(features.norm(1, keepdim: true));
            using Tensor mean = unit.mean([0]);
            using Tensor expected = mean.div(mean.norm());
            ClipFixture.MaxAbsError(classifier.ClassEmbeddings[c], expected).Should().BeLessThan(1e-5, $"class {Classes[c]}");
        }
    }

    [SkippableFact]
    public void Logits_predictions_and_probabilities_follow_the_clip_formula()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using ClipModel model = fixture.LoadModel();
        using var classifier = new ZeroShotClassifier(model, TinyVocabTokenizer(model), Classes, Templates);

        using Tensor logits = classifier.Logits(fixture.Images);
        using Tensor predicted = classifier.Predict(fixture.Images);
        using Tensor probabilities = classifier.PredictProba(fixture.Images);

        using (no_grad())
        {
            using Tensor features = model.EncodeImage(fixture.Images);
            using Tensor unit = features.div(features.norm(1, keepdim: true));
            using Tensor expected = unit.matmul(classifier.ClassEmbeddings.t()).mul(model.LogitScale);
            ClipFixture.MaxAbsError(logits, expected).Should().BeLessThan(1e-4);
        }
        logits.shape.Should().Equal(fixture.Images.shape[0], Classes.Length);
        float[] logitValues = logits.data<float>().ToArray();
        long[] predictions = predicted.data<long>().ToArray();
        for (int n = 0; n < predictions.Length; n++)
        {
            float[] row = logitValues.Skip(n * Classes.Length).Take(Classes.Length).ToArray();
            predictions[n].Should().Be(Array.IndexOf(row, row.Max()));
        }
        using Tensor rowSums = probabilities.sum(1);
        rowSums.sub(1).abs().max().item<float>().Should().BeLessThan(1e-5f);
        using Tensor expectedProbabilities = logits.softmax(1);
        probabilities.allclose(expectedProbabilities).Should().BeTrue();
    }

    [SkippableFact]
    public void Path_overloads_decode_and_preprocess_like_the_tensor_path()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using ClipModel model = fixture.LoadModel();
        using var classifier = new ZeroShotClassifier(model, TinyVocabTokenizer(model), Classes, Templates);
        string folder = Directory.CreateTempSubdirectory("edsam-zeroshot-").FullName;
        try
        {
            using var generator = new Generator(seed: 21);
            var paths = new List<string>();
            for (int i = 0; i < 3; i++)
            {
                using Tensor image = rand(new long[] { 3, 40 + 8 * i, 48 }, generator: generator);
                paths.Add(Path.Combine(folder, $"{i}.png"));
                ImageEncoder.SavePng(paths[^1], image);
            }

            IReadOnlyList<string> names = classifier.Predict(paths);
            using Tensor probabilities = classifier.PredictProba(paths);

            using Tensor input = new ImagePreprocessor(ImagePreprocessorOptions.Clip(model.ImageSize)).Preprocess(paths);
            using Tensor expected = classifier.PredictProba(input);
            probabilities.allclose(expected, rtol: 0, atol: 1e-6).Should().BeTrue();
            using Tensor indices = expected.argmax(1);
            names.Should().Equal(indices.data<long>().ToArray().Select(i => Classes[i]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [SkippableFact]
    public void Default_templates_are_used_and_all_have_a_placeholder()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using ClipModel model = fixture.LoadModel();
        using var classifier = new ZeroShotClassifier(model, TinyVocabTokenizer(model), ["dog"]);

        classifier.Templates.Should().Equal(ZeroShotClassifier.DefaultTemplates);
        classifier.Templates.Should().Contain("a photo of a {}.").And.OnlyContain(t => t.Contains("{}"));
        classifier.ClassEmbeddings.shape.Should().Equal(1, model.EmbedDim);
    }

    [SkippableFact]
    public void Bad_classes_and_templates_are_refused()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using ClipModel model = fixture.LoadModel();
        Func<IReadOnlyList<string>, Tensor> tokenize = _ => throw new InvalidOperationException("validation must come first");

        ((Action)(() => new ZeroShotClassifier(model, tokenize, []))).Should().Throw<ArgumentException>().WithMessage("*At least one class*");
        ((Action)(() => new ZeroShotClassifier(model, tokenize, ["dog", " "]))).Should().Throw<ArgumentException>().WithMessage("*Class name 1 is empty*");
        ((Action)(() => new ZeroShotClassifier(model, tokenize, ["dog"], ["a photo of a dog"]))).Should().Throw<ArgumentException>()
            .WithMessage("*'a photo of a dog'*placeholder*");
        ((Action)(() => new ZeroShotClassifier(model, tokenize, ["dog"], []))).Should().Throw<ArgumentException>().WithMessage("*template*");
    }

    [Fact]
    public void Prompt_fills_both_placeholder_spellings()
    {
        ZeroShotClassifier.Prompt("a photo of a {}.", "cat").Should().Be("a photo of a cat.");
        ZeroShotClassifier.Prompt("a {class} next to a {class}", "cat").Should().Be("a cat next to a cat");
    }

    [SkippableFact]
    public void Evaluate_scores_the_predictions_overall_and_per_domain_on_any_number_of_threads()
    {
        using var fixture = ClipFixture.Open("tiny-vit");
        using ClipModel model = fixture.LoadModel();
        using var classifier = new ZeroShotClassifier(model, TinyVocabTokenizer(model), Classes, Templates);
        var generator = new Random(4);
        var examples = Enumerable.Range(0, 10).Select(i =>
        {
            var pixels = rand(new long[] { 3, 40, 48 }, generator: new Generator((ulong)i + 1)).DetachFromDisposeScope();
            return new EdSam.Data.Example($"img{i}", EdSam.Data.ImageSource.FromTensor(pixels, $"image {i}"))
            {
                Label = generator.Next(Classes.Length), Domain = i < 6 ? "photo" : "sketch",
            };
        }).ToArray();

        var single = classifier.Evaluate(examples, batchSize: 4, workers: 1);
        var parallel = classifier.Evaluate(examples, batchSize: 3, workers: 3);

        // Independently: the same images through Predict in one batch, scored by hand.
        using var scope = NewDisposeScope();
        long[] predicted = classifier.Predict(stack(examples.Select(e => classifier.Preprocessor.Preprocess(e.Image.Load())).ToArray()))
            .data<long>().ToArray();
        double Accuracy(IEnumerable<int> rows) => rows.Average(i => predicted[i] == examples[i].Label ? 1.0 : 0.0);
        single.Accuracy.Should().BeApproximately(Accuracy(Enumerable.Range(0, 10)), 1e-12);
        single.AccuracyByDomain["photo"].Should().BeApproximately(Accuracy(Enumerable.Range(0, 6)), 1e-12);
        single.AccuracyByDomain["sketch"].Should().BeApproximately(Accuracy(Enumerable.Range(6, 4)), 1e-12);
        single.Count.Should().Be(10);
        parallel.Should().BeEquivalentTo(single);

        var unlabelled = () => classifier.Evaluate([examples[0] with { Label = null }]);
        unlabelled.Should().Throw<ArgumentException>().WithMessage("*img0*no label*");
    }
}
