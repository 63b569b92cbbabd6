using System.CommandLine;
using System.Globalization;
using EdSam.Data;
using EdSam.Diffusion;
using EdSam.Diffusion.Transport;

namespace EdSam.Cli.Commands;

/// <summary><c>edsam train</c>: fine-tunes a CLIP with ED-SAM (<see cref="EdSamTrainer"/>) on real images and the
/// adversarial samples <c>edsam augment</c> wrote, with checkpoints and automatic resume.</summary>
/// <remarks>Shards that match none of the training images, and a <c>--checkpoints</c> folder of a run with other options,
/// are errors (exit 1, the message says what differs); partial shard coverage is a warning on stderr; a folder holding
/// the finished run is reported as "already complete" and its weights are written to <c>--out</c>.</remarks>
internal static class TrainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var command = new Command("train",
            "Fine-tune a CLIP with ED-SAM on real images and 'edsam augment' samples; resumes from --checkpoints.");
        var model = new ModelArguments(command, description: "The CLIP to fine-tune: a folder or hub repo id, or a config JSON / architecture name with --weights.");
        var data = CommonOptions.DomainData("Training data: a DomainBed folder, a labelled CSV/TSV table, or fashion-mnist-dg.");
        var testDomain = new Option<string?>("--test-domain") { Description = "Leave this domain out of training and report zero-shot accuracy on it afterwards." };
        var adversarial = new Option<string[]>("--adversarial")
        {
            Description = "WebDataset shards of adversarial samples written by 'edsam augment' (patterns allowed). Without it, plain CLIP fine-tuning.",
            AllowMultipleArgumentsPerToken = true,
        };
        adversarial.Validators.Add(CommonOptions.RejectOptionLikeValues);
        var output = new Option<string>("--out", "-o") { Description = "Where the fine-tuned model is written: a folder (OpenCLIP layout: weights, config, preprocessing, BPE vocabulary; --model loads it) or a .safetensors file (weights only, OpenAI key layout).", Required = true };
        var defaults = new EdSamOptions();
        var epochs = CommonOptions.PositiveInt("--epochs", defaults.Epochs, "Passes over the training examples.");
        var batchSize = CommonOptions.PositiveInt("--batch-size", defaults.BatchSize, "Real examples per optimisation step.");
        var learningRate = new Option<double>("--lr") { Description = "Peak AdamW learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var warmup = new Option<int>("--warmup-steps") { Description = "Linear warm-up steps.", DefaultValueFactory = _ => defaults.WarmupSteps };
        var weightDecay = new Option<double>("--weight-decay") { Description = "AdamW decoupled weight decay.", DefaultValueFactory = _ => defaults.WeightDecay };
        var weight = new Option<double>("--adversarial-weight") { Description = "w, the weight of the adversarial term (0 = plain CLIP).", DefaultValueFactory = _ => defaults.AdversarialWeight };
        var seed = new Option<long>("--seed") { Description = "Seed of the data order, sample choice and initialisation.", DefaultValueFactory = _ => defaults.Seed };
        var checkpoints = new Option<string?>("--checkpoints") { Description = "Checkpoint folder; the run resumes from the newest checkpoint in it." };
        var checkpointEvery = CommonOptions.PositiveInt("--checkpoint-every", defaults.CheckpointEvery, "Steps between checkpoints (one is also written at the end and on Ctrl+C).");
        foreach (Option option in new Option[] { data, testDomain, adversarial, output, epochs, batchSize, learningRate, warmup, weightDecay, weight, seed, checkpoints, checkpointEvery })
            command.Add(option);

        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
        {
            string[] shards = parse.GetValue(adversarial) ?? [];
            if (shards.Length > 0) DataInputs.RequireExisting(shards, "--adversarial");
            IDomainDataset dataset = DataInputs.Domains(parse.GetRequiredValue(data));
            string? test = parse.GetValue(testDomain);
            if (test is not null) DataInputs.RequireDomain(dataset, test, "--test-domain");
            string outPath = parse.GetRequiredValue(output);

            var options = new EdSamOptions
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(learningRate),
                WarmupSteps = parse.GetValue(warmup),
                WeightDecay = parse.GetValue(weightDecay),
                AdversarialWeight = shards.Length > 0 ? parse.GetValue(weight) : 0,
                Seed = parse.GetValue(seed),
                CheckpointDirectory = parse.GetValue(checkpoints),
                CheckpointEvery = parse.GetValue(checkpointEvery),
            }.Validate();

            using var clip = model.Load(parse, cancellationToken);
            var source = shards.Length > 0 ? new ShardAdversarialSource(shards) : null;
            var trainer = new EdSamTrainer(options with { Preprocessing = clip.Preprocessor.Options });   // the checkpoint's own mean/std
            var progress = new ConsoleProgress(console.Error);
            DomainSplit? split = test is null ? null : dataset.LeaveOneDomainOut(test, (int)options.Seed);
            var result = split is null
                ? trainer.Fit(dataset.Domains.SelectMany(dataset.GetExamples).ToArray(), dataset.ClassNames, clip.Model, clip.Tokenize, source, progress, cancellationToken)
                : trainer.Fit(split.Train, split.ClassNames, clip.Model, clip.Tokenize, source, progress, cancellationToken);

            if (result.Cancelled)
            {
                console.Error.WriteLine($"edsam train: stopped after step {result.StepsCompleted} of {result.TotalSteps}" +
                    (result.LastCheckpoint is null ? "; no --checkpoints folder, so the progress is lost." : $"; checkpoint {result.LastCheckpoint}. Run the same command again to resume."));
                return ExitCodes.Cancelled;
            }

            if (result.AdversarialCoverage is { IsComplete: false } coverage)
                console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"warning: only {coverage.Covered} of {coverage.Checked} training examples ({100 * coverage.Fraction:F1}%) have adversarial samples in --adversarial; the others were trained on their real images only."));

            if (outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                result.Save(outPath);
            else
                result.SavePretrained(outPath, clip.Preprocessor.Options,
                    clip.TokenizerSource is { } bpe && bpe.EndsWith(".txt.gz", StringComparison.OrdinalIgnoreCase) ? bpe : null);
            console.Out.WriteLine(result.AlreadyComplete
                ? string.Create(CultureInfo.InvariantCulture,
                    $"already complete: nothing trained; loaded the finished run ({result.StepsCompleted} steps, final loss {result.Losses.LastOrDefault(double.NaN):F4}) from {result.LastCheckpoint}; model written to {outPath}")
                : string.Create(CultureInfo.InvariantCulture,
                    $"trained {result.StepsCompleted} steps ({(result.History.Count < result.StepsCompleted ? $"{result.History.Count} in this run, resumed after step {result.StepsCompleted - result.History.Count} from --checkpoints; " : "")}" +
                    $"final loss {result.Losses.LastOrDefault(double.NaN):F4}); model written to {outPath}"));
            if (split is not null)
            {
                double accuracy = EdSamTrainer.Evaluate(clip.Model, clip.Tokenize, split.Test, split.ClassNames);
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"zero-shot accuracy on the held-out domain '{test}': {100 * accuracy:F2}% ({split.Test.Count} examples)"));
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
