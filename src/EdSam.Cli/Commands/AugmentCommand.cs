using System.CommandLine;
using System.Globalization;
using EdSam.Diffusion.Models;
using EdSam.Diffusion.Transport;

namespace EdSam.Cli.Commands;

/// <summary><c>edsam augment</c>: writes ED-SAM's transported adversarial samples of a data set as WebDataset shards
/// (<see cref="AugmentationJob"/>), one slice of the output shards per worker, skipping shards already complete.</summary>
internal static class AugmentCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var command = new Command("augment",
            "Write ED-SAM adversarial samples (M per image) as WebDataset shards; workers split the shards, reruns skip complete ones.");
        var diffusion = new Option<string>("--diffusion") { Description = "Folder of the trained diffusion model (UNet2D.Save: config, scheduler, weights).", Required = true };
        var data = new Option<string[]>("--data", "-d")
        {
            Description = "Source images: files, folders, CSV/TSV caption tables, WebDataset shard patterns, or fashion-mnist-dg.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        data.Validators.Add(CommonOptions.RejectOptionLikeValues);
        var output = new Option<string>("--out", "-o") { Description = "Folder the shards are written to (created when missing).", Required = true };
        var transport = new TransportOptions();
        var job = new AugmentationJobOptions();
        var samples = CommonOptions.PositiveInt("--samples-per-image", transport.SamplesPerImage, "M, adversarial samples per source image.");
        var rho = new Option<double>("--rho") { Description = "ρ, the bound of the transport shift α ~ U(−ρ, ρ).", DefaultValueFactory = _ => transport.Rho };
        var startAlpha = new Option<double>("--start-alpha-cumprod") { Description = "ᾱ of the noise level the image is diffused to.", DefaultValueFactory = _ => transport.StartAlphaCumprod };
        var steps = CommonOptions.PositiveInt("--sampling-steps", transport.SamplingSteps, "DDIM steps of the decode.");
        var eta = new Option<double>("--eta") { Description = "DDIM η of the decode (0 = deterministic).", DefaultValueFactory = _ => transport.Eta };
        var guidanceScale = new Option<double>("--guidance-scale") { Description = "Classifier-free guidance scale towards the image's class or caption.", DefaultValueFactory = _ => transport.GuidanceScale };
        var guided = new Option<bool>("--guided") { Description = "Choose α by gradient ascent on the CLIP loss of --model (EdSam extension, not in the paper)." };
        var seed = new Option<long>("--seed") { Description = "Seed of every random draw; samples do not depend on batching or sharding.", DefaultValueFactory = _ => transport.Seed };
        var batchSize = CommonOptions.PositiveInt("--batch-size", 8, "Source images per denoiser batch.");
        var perShard = CommonOptions.PositiveInt("--source-per-shard", job.SourceExamplesPerShard, "Source images per output shard (each shard holds M times as many samples).");
        var prefix = new Option<string>("--shard-prefix") { Description = "Output shard names are {prefix}-{n:D6}.tar.", DefaultValueFactory = _ => job.ShardPrefix };
        var (shardIndex, shardCount) = CommonOptions.ShardRange();
        foreach (Option option in new Option[] { diffusion, data, output, samples, rho, startAlpha, steps, eta, guidanceScale, guided, seed, batchSize, perShard, prefix, shardIndex, shardCount })
            command.Add(option);
        var model = new ModelArguments(command, required: false, description: "The CLIP whose loss guides α (only with --guided).");

        CommandRunner.SetBody(command, console, (parse, cancellationToken) =>
        {
            string[] inputs = parse.GetRequiredValue(data);
            DataInputs.RequireExisting(inputs, "--data");
            string diffusionFolder = parse.GetRequiredValue(diffusion);
            if (!Directory.Exists(diffusionFolder)) throw new DirectoryNotFoundException($"--diffusion: the folder '{diffusionFolder}' does not exist.");
            bool isGuided = parse.GetValue(guided);
            if (isGuided != model.IsGiven(parse))
                throw new CliUsageException(isGuided ? "--guided needs --model (the CLIP whose loss guides α)." : "--model is only used with --guided.");
            int index = parse.GetValue(shardIndex), count = parse.GetValue(shardCount);
            CommonOptions.CheckShardRange(index, count);

            var transportOptions = new TransportOptions
            {
                SamplesPerImage = parse.GetValue(samples),
                Rho = parse.GetValue(rho),
                StartAlphaCumprod = parse.GetValue(startAlpha),
                SamplingSteps = parse.GetValue(steps),
                Eta = parse.GetValue(eta),
                GuidanceScale = parse.GetValue(guidanceScale),
                Guided = isGuided,
                Seed = parse.GetValue(seed),
            }.Validate();
            var jobOptions = new AugmentationJobOptions
            {
                OutputDirectory = parse.GetRequiredValue(output),
                ShardIndex = index,
                ShardCount = count,
                SourceExamplesPerShard = parse.GetValue(perShard),
                ShardPrefix = parse.GetValue(prefix) ?? job.ShardPrefix,
            };
            jobOptions.Validate();

            var examples = DataInputs.Images(inputs).ToList();
            if (examples.Count == 0) throw new CliInputException("--data: no images were found in the inputs.");
            using var unet = UNet2D.Load(diffusionFolder);
            unet.eval();
            using var clip = isGuided ? model.Load(parse, cancellationToken) : null;
            var guidance = clip is null ? null : new ClipGuidance(clip.Model, clip.Tokenize);
            var sampler = new AdversarialDiffusionSampler(new TransportTransformation(unet, transportOptions, guidance), parse.GetValue(batchSize));
            var progress = new Progress<AugmentationProgress>(p =>
                console.Error.WriteLine($"shard {p.ShardsDone}/{p.ShardsTotal} done, {p.SamplesWritten} samples written"));
            var result = new AugmentationJob(sampler, jobOptions).Run(examples, progress, cancellationToken);
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {result.WrittenShards.Count} shard(s) ({result.SamplesWritten} samples), skipped {result.SkippedShards.Count} already complete, in {jobOptions.OutputDirectory}"));
            foreach (string shard in result.WrittenShards) console.Out.WriteLine(shard);
            return ExitCodes.Success;
        });
        return command;
    }
}
