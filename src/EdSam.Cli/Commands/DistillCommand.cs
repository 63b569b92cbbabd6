using System.CommandLine;
using System.Globalization;
using EdSam.Data;
using EdSam.Data.Augmentation;
using EdSam.Distillation;
using EdSam.Distillation.Students;

namespace EdSam.Cli.Commands;

/// <summary><c>edsam distill</c>: distils a CLIP teacher into a small student with VL2V-ADiP
/// (<see cref="Vl2vAdipTrainer"/>), leaving one domain out, with checkpoints and automatic resume.</summary>
internal static class DistillCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var command = new Command("distill",
            "Distil a CLIP teacher into a small student with VL2V-ADiP, leaving --test-domain out; resumes from --checkpoints.");
        var model = new ModelArguments(command, description: "The CLIP teacher: a folder or hub repo id, or a config JSON / architecture name with --weights.");
        var data = CommonOptions.DomainData("A DomainBed folder, a labelled CSV/TSV table, or fashion-mnist-dg.");
        var testDomain = new Option<string>("--test-domain") { Description = "The held-out domain (reported, never trained on).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Folder the distilled model is saved to (load it with Vl2vAdipModel.Load).", Required = true };
        var defaults = new Vl2vAdipOptions();
        var method = new Option<DistillationMethod>("--method") { Description = "Vl2vAdip, Vl2vSd, Erm or KnowledgeDistillation.", DefaultValueFactory = _ => defaults.Method };
        var student = new Option<StudentArchitecture>("--student") { Description = "ResNet18, ResNet50, VitSmall16, VitBase16, TinyResNet or TinyVit.", DefaultValueFactory = _ => defaults.Student };
        var studentWeights = new Option<string?>("--student-weights") { Description = "ImageNet-pretrained student weights (.safetensors); random initialisation without." };
        var studentImageSize = new Option<int?>("--student-image-size") { Description = "The student's input side in pixels (default: the teacher's), e.g. 224 for ImageNet ViT weights under a 336-px teacher." };
        var alignSteps = CommonOptions.PositiveInt("--align-steps", defaults.AlignSteps, "Steps of stage 1 (align the student's head to the teacher).");
        var distillSteps = CommonOptions.PositiveInt("--distill-steps", defaults.DistillSteps, "Steps of stage 2 (distil into the backbone).");
        var batchSize = CommonOptions.PositiveInt("--batch-size-per-domain", defaults.BatchSizePerDomain, "Examples per source domain in each step.");
        var learningRate = new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var lambda = new Option<double>("--lambda") { Description = "λ, the weight of the distillation term.", DefaultValueFactory = _ => defaults.Lambda };
        var evaluateEvery = CommonOptions.PositiveInt("--evaluate-every", defaults.EvaluateEvery, "Steps between validation evaluations.");
        var noSwad = new Option<bool>("--no-swad") { Description = "Keep the last weights instead of SWAD's average." };
        var noAugment = new Option<bool>("--no-augment") { Description = "Train without random crops and flips." };
        var seed = new Option<long>("--seed") { Description = "Seed of everything random.", DefaultValueFactory = _ => defaults.Seed };
        var checkpoints = new Option<string?>("--checkpoints") { Description = "Checkpoint folder; the run resumes from the newest checkpoint in it." };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Steps between checkpoints (default: at each evaluation)." };
        foreach (Option option in new Option[] { data, testDomain, output, method, student, studentWeights, studentImageSize, alignSteps, distillSteps, batchSize, learningRate, lambda,
                     evaluateEvery, noSwad, noAugment, seed, checkpoints, checkpointEvery })
            command.Add(option);

        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
        {
            IDomainDataset dataset = DataInputs.Domains(parse.GetRequiredValue(data));
            string test = parse.GetRequiredValue(testDomain);
            DataInputs.RequireDomain(dataset, test, "--test-domain");
            if (parse.GetValue(studentWeights) is { } weightsPath) ModelArguments.RequireFile(weightsPath, "--student-weights");
            string outPath = parse.GetRequiredValue(output);

            using var teacher = model.Load(parse, cancellationToken);
            var options = new Vl2vAdipOptions
            {
                Teacher = teacher.Model,
                TeacherNormalization = new Normalize(teacher.Preprocessor.Options.Mean.Select(v => (double)v).ToArray(),
                    teacher.Preprocessor.Options.Std.Select(v => (double)v).ToArray()),   // the checkpoint's own mean/std
                Tokenize = teacher.Tokenize,
                Method = parse.GetValue(method),
                Student = parse.GetValue(student),
                StudentWeightsPath = parse.GetValue(studentWeights),
                StudentImageSize = parse.GetValue(studentImageSize),
                AlignSteps = parse.GetValue(alignSteps),
                DistillSteps = parse.GetValue(distillSteps),
                BatchSizePerDomain = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(learningRate),
                Lambda = parse.GetValue(lambda),
                EvaluateEvery = parse.GetValue(evaluateEvery),
                UseSwad = !parse.GetValue(noSwad),
                Augment = !parse.GetValue(noAugment),
                Seed = parse.GetValue(seed),
                CheckpointDirectory = parse.GetValue(checkpoints),
                CheckpointEvery = parse.GetValue(checkpointEvery),
                CancellationToken = cancellationToken,
                Progress = new ConsoleProgress(console.Error),
            };
            options.Validate(); // an OptionsValidationException is a usage error (CommandRunner)

            using var distilled = new Vl2vAdipTrainer(options).Fit(dataset, test);
            distilled.Save(outPath);
            var result = distilled.Evaluate(dataset.GetExamples(test), cancellationToken: cancellationToken);
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"distilled {parse.GetValue(student)} with {parse.GetValue(method)}; saved to {outPath}; accuracy on the held-out domain '{test}': {100 * result.Accuracy:F2}% ({result.Count} examples)"));
            return ExitCodes.Success;
        });
        return command;
    }
}
