using EdSam.Data;
using EdSam.Distillation.Students;
using EdSam.Distillation.Tests.TestSupport;
using EdSam.Training;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests;

/// <summary>Whole training runs: alone, so no other test draws from torch's global generator while a run relies on it.</summary>
[CollectionDefinition(nameof(Vl2vAdipTrainerTests), DisableParallelization = true)]
public sealed class Vl2vAdipTrainerCollection;

[Collection(nameof(Vl2vAdipTrainerTests))]
public sealed class Vl2vAdipTrainerTests
{
    [Fact]
    public void Stage_one_trains_only_the_projection_and_stage_two_only_the_backbone()
    {
        using var teacher = TinySetup.Teacher();
        var trainer = new Vl2vAdipTrainer(TinySetup.Options(teacher));
        var snapshots = new Dictionary<(string, bool), Dictionary<string, Tensor>>();
        trainer.StageObserver = (stage, start, network) => snapshots[(stage, start)] = TinySetup.Snapshot(network);

        using var model = trainer.Fit(TinySetup.Split());

        try
        {
            snapshots.Keys.Should().BeEquivalentTo(new[] { ("align", true), ("align", false), ("distill", true), ("distill", false) });
            var (alignChanged, alignSame) = Compare(snapshots[("align", true)], snapshots[("align", false)]);
            alignChanged.Should().NotBeEmpty().And.OnlyContain(k => k.StartsWith("head."), "stage 1 trains P only");
            alignSame.Where(k => k.StartsWith("backbone.")).Should().Contain(k => k.EndsWith("running_mean"), "BatchNorm statistics are checked too");
            alignChanged.Should().Contain(["head.proj.weight", "head.proj.bias"]);

            var (distillChanged, distillSame) = Compare(snapshots[("distill", true)], snapshots[("distill", false)]);
            distillChanged.Should().NotBeEmpty().And.OnlyContain(k => k.StartsWith("backbone."), "stage 2 freezes P");
            distillChanged.Should().NotContain(k => k.Contains("running_") || k.EndsWith("num_batches_tracked"), "BatchNorm stays in eval mode");
            distillChanged.Should().Contain(k => k.StartsWith("backbone.conv1"));
            distillSame.Should().Contain(["head.proj.weight", "head.proj.bias"]);
        }
        finally
        {
            foreach (var s in snapshots.Values) TinySetup.DisposeAll(s);
        }
    }

    private static (List<string> Changed, List<string> Same) Compare(Dictionary<string, Tensor> before, Dictionary<string, Tensor> after)
    {
        var changed = before.Keys.Where(k => !TinySetup.Same(before[k], after[k])).ToList();
        return (changed, before.Keys.Except(changed).ToList());
    }

    [Fact]
    public void History_records_every_evaluation_and_both_stages()
    {
        using var teacher = TinySetup.Teacher();
        using var model = new Vl2vAdipTrainer(TinySetup.Options(teacher)).Fit(TinySetup.Split());
        // align: steps 2, 3 (the last); distill: 2, 4.
        model.History.Evaluations.Select(e => (e.Stage, e.Step)).Should().Equal(("align", 2L), ("align", 3L), ("distill", 2L), ("distill", 4L));
        model.History.Evaluations.Should().OnlyContain(e => e.ValidationAccuracy >= 0 && e.ValidationAccuracy <= 1
            && e.ValidationLoss > 0 && e.ValidationDistillationLoss >= -1 && e.ValidationDistillationLoss <= 1);
        model.History.Stages.Select(s => s.Stage).Should().Equal("align", "distill");
        model.ClassNames.Should().Equal(TinySetup.Classes);
    }

    [Fact]
    public void Predict_is_the_argmax_of_100_cos_with_the_text_classifier_and_survives_save_and_load()
    {
        using var teacher = TinySetup.Teacher();
        using var model = new Vl2vAdipTrainer(TinySetup.Options(teacher) with { AlignSteps = 2, DistillSteps = 2 }).Fit(TinySetup.Split());
        using var scope = NewDisposeScope();
        manual_seed(5);
        var images = randn(6, 3, TinySetup.ImageSize, TinySetup.ImageSize);

        var z = model.Embed(images);
        var classes = model.ClassEmbeddings!;
        // Independent: normalise both by hand, scale the dot products by 100.
        var expected = z.div(z.norm(1, keepdim: true)).matmul(classes.div(classes.norm(1, keepdim: true)).t()).mul(100);
        var logits = model.Logits(images);
        logits.allclose(expected, rtol: 1e-4, atol: 1e-4).Should().BeTrue();
        TinySetup.Same(model.Predict(images), expected.argmax(-1)).Should().BeTrue();
        model.PredictProba(images).sum(-1).allclose(ones(6), atol: 1e-5).Should().BeTrue();

        using var folder = new TemporaryFolder();
        model.Save(folder.Path);
        using var loaded = Vl2vAdipModel.Load(folder.Path);
        loaded.Logits(images).allclose(logits, rtol: 0, atol: 1e-6).Should().BeTrue();
        loaded.ClassNames.Should().Equal(model.ClassNames);
        loaded.Method.Should().Be(DistillationMethod.Vl2vAdip);
        loaded.History.Evaluations.Should().Equal(model.History.Evaluations);
    }

    [Fact]
    public void Resuming_after_an_interruption_reproduces_the_uninterrupted_run()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Split();
        using var reference = new TemporaryFolder();
        using var interrupted = new TemporaryFolder();
        var options = TinySetup.Options(teacher) with { AlignSteps = 4, DistillSteps = 5, CheckpointEvery = 2 };

        using var expected = new Vl2vAdipTrainer(options with { CheckpointDirectory = reference.Path }).Fit(split);

        using var cancel = new CancellationTokenSource();
        var stopping = options with
        {
            CheckpointDirectory = interrupted.Path,
            CancellationToken = cancel.Token,
            Progress = new SyncProgress(p => { if (p.Stage == "distill" && p.Step == 3) cancel.Cancel(); }),
        };
        var act = () => new Vl2vAdipTrainer(stopping).Fit(split);
        act.Should().Throw<OperationCanceledException>();
        Directory.GetDirectories(Path.Combine(interrupted.Path, "distill")).Select(Path.GetFileName).Should().Contain("step-000003");

        var resumedSteps = new List<long>();
        using var resumed = new Vl2vAdipTrainer(options with
        {
            CheckpointDirectory = interrupted.Path,
            Progress = new SyncProgress(p => resumedSteps.Add(p.Step)),
        }).Fit(split);

        resumedSteps.Should().Equal(4, 5); // only the two missing distill steps ran
        var a = expected.Network.state_dict();
        var b = resumed.Network.state_dict();
        foreach (var (key, tensor) in a) TinySetup.Same(tensor, b[key]).Should().BeTrue($"'{key}' must be bitwise equal after resuming");
        resumed.History.Evaluations.Should().Equal(expected.History.Evaluations);
    }

    [Fact]
    public void Progress_and_cancellation_can_be_passed_to_Fit_like_the_other_trainers()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Split();
        var options = TinySetup.Options(teacher) with { AlignSteps = 2, DistillSteps = 3 };
        var steps = new List<(string, long)>();

        using (var model = new Vl2vAdipTrainer(options).Fit(split, new SyncProgress(p => steps.Add((p.Stage, p.Step))))) { }
        steps.Should().Equal(("align", 1L), ("align", 2L), ("distill", 1L), ("distill", 2L), ("distill", 3L));

        using var cancel = new CancellationTokenSource();
        var stopped = () => new Vl2vAdipTrainer(options).Fit(split, new SyncProgress(p => { if (p.Stage == "distill") cancel.Cancel(); }), cancel.Token);
        stopped.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void The_teacher_sees_its_own_normalisation()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Split();
        var options = TinySetup.Options(teacher) with { AlignSteps = 2, DistillSteps = 2 };
        List<double> Losses(Vl2vAdipOptions o)
        {
            var losses = new List<double>();
            using var model = new Vl2vAdipTrainer(o).Fit(split, new SyncProgress(p => losses.Add(p.Loss)));
            return losses;
        }

        var byDefault = Losses(options);
        var explicitClip = Losses(options with { TeacherNormalization = EdSam.Data.Augmentation.Normalize.Clip });
        var imageNet = Losses(options with { TeacherNormalization = EdSam.Data.Augmentation.Normalize.ImageNet });

        explicitClip.Should().Equal(byDefault, "CLIP's mean/std is the default");
        imageNet[0].Should().NotBe(byDefault[0], "the distillation target I(x) is the teacher's embedding of its normalised input");
    }

    [Fact]
    public void A_checkpoint_of_other_settings_is_refused_and_one_without_recorded_settings_resumes()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Split();
        using var folder = new TemporaryFolder();
        var options = TinySetup.Options(teacher) with { AlignSteps = 2, DistillSteps = 4, CheckpointEvery = 2, CheckpointDirectory = folder.Path };
        using var cancel = new CancellationTokenSource();
        var stop = () => new Vl2vAdipTrainer(options with
        {
            CancellationToken = cancel.Token,
            Progress = new SyncProgress(p => { if (p.Stage == "distill" && p.Step == 2) cancel.Cancel(); }),
        }).Fit(split);
        stop.Should().Throw<OperationCanceledException>();

        var changed = () => new Vl2vAdipTrainer(options with { Lambda = 0.25 }).Fit(split);
        changed.Should().Throw<CheckpointException>()
            .Where(e => e.Message.Contains("Lambda 0.5 (now 0.25)") && e.Message.Contains(folder.Path) && e.Message.Contains("CheckpointDirectory"));

        // Checkpoints written before settings were recorded: nothing to compare, so the run resumes (with a warning).
        foreach (string state in Directory.GetFiles(folder.Path, "state.json", SearchOption.AllDirectories))
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(state))!;
            var trainerState = json["trainer_state"]!.AsObject();
            trainerState.Remove("Settings").Should().BeTrue("the state records the settings under 'Settings'");
            File.WriteAllText(state, json.ToJsonString());
        }
        var resumedSteps = new List<long>();
        using var resumed = new Vl2vAdipTrainer(options with { Progress = new SyncProgress(p => resumedSteps.Add(p.Step)) }).Fit(split);
        resumedSteps.Should().Equal(3, 4);
    }

    [Theory]
    [InlineData(DistillationMethod.Erm)]
    [InlineData(DistillationMethod.KnowledgeDistillation)]
    public void Baselines_train_the_loss_goes_down(DistillationMethod method)
    {
        using var teacher = TinySetup.Teacher();
        var losses = new List<double>();
        var options = TinySetup.Options(teacher) with
        {
            Method = method,
            DistillSteps = 24,
            EvaluateEvery = 24,
            Augment = false,
            UseSwad = false,
            LearningRate = 3e-3,
            BatchSizePerDomain = 4,
            Progress = new SyncProgress(p => losses.Add(p.Loss)),
        };
        using var model = new Vl2vAdipTrainer(options).Fit(TinySetup.Split());
        losses.Should().HaveCount(24);
        losses.TakeLast(4).Average().Should().BeLessThan(losses.Take(4).Average());
        model.ClassEmbeddings.Should().BeNull();
        model.History.Stages.Single().Stage.Should().Be(method == DistillationMethod.Erm ? "erm" : "kd");
    }

    [Fact]
    public void Self_distillation_trains_a_copy_of_the_teacher_image_encoder()
    {
        using var teacher = TinySetup.Teacher();
        var teacherWeights = TinySetup.Snapshot(teacher);
        try
        {
            using var model = new Vl2vAdipTrainer(TinySetup.Options(teacher) with { Method = DistillationMethod.Vl2vSd, DistillSteps = 3 })
                .Fit(TinySetup.Dataset(), testDomain: "sketch");
            model.Student.Should().BeNull();
            model.ClipConfig.Should().Be(TinySetup.TeacherConfig);
            var student = model.Network.state_dict();
            var unchanged = student.Keys.Where(k => k.StartsWith("backbone.clip.")).ToDictionary(
                k => k.Substring("backbone.clip.".Length), k => TinySetup.Same(student[k], teacherWeights[k.Substring("backbone.clip.".Length)]));
            unchanged.Should().HaveCount(teacherWeights.Count);
            unchanged.Where(p => p.Key.StartsWith("visual.")).Should().Contain(p => !p.Value, "the image encoder trained");
            unchanged.Where(p => !p.Key.StartsWith("visual.")).Should().OnlyContain(p => p.Value, "the text tower is not trained");
            foreach (var (key, tensor) in teacher.state_dict()) TinySetup.Same(tensor, teacherWeights[key]).Should().BeTrue("the teacher is never trained");

            using var images = randn(2, 3, TinySetup.ImageSize, TinySetup.ImageSize);
            using var predicted = model.Predict(images);
            predicted.shape.Should().Equal(2);
        }
        finally
        {
            TinySetup.DisposeAll(teacherWeights);
        }
    }

    [Fact]
    public void A_vit_student_and_domain_prompts_work_end_to_end_and_evaluate_per_domain()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Split();
        using var model = new Vl2vAdipTrainer(TinySetup.Options(teacher) with
        {
            Student = StudentArchitecture.TinyVit,
            Prompts = PromptStyle.SourceDomains,
            AlignSteps = 2,
            DistillSteps = 2,
        }).Fit(split);
        var result = model.Evaluate(split.Test);
        result.Count.Should().Be(split.Test.Count);
        result.AccuracyByDomain.Keys.Should().Equal("sketch");
        result.Accuracy.Should().BeInRange(0, 1);
    }

    [Fact]
    public void A_student_can_take_another_image_size_than_the_teacher()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Split();
        // TinyVit's positional embedding fixes its input side: without the resize, training at the teacher's 16 px fails.
        using var model = new Vl2vAdipTrainer(TinySetup.Options(teacher) with
        {
            Student = StudentArchitecture.TinyVit,
            StudentImageSize = 8,
            AlignSteps = 2,
            DistillSteps = 2,
        }).Fit(split);

        model.ImageSize.Should().Be(8);
        teacher.ImageSize.Should().Be(16);
        model.Evaluate(split.Test).Accuracy.Should().BeInRange(0, 1);
        using var scope = NewDisposeScope();
        var act = () => model.Embed(zeros(1, 3, 16, 16));
        act.Should().Throw<ArgumentException>("the trained student takes 8-px input");
    }

    [Fact]
    public void A_split_without_validation_examples_is_refused()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Dataset().LeaveOneDomainOut("sketch", seed: 1, holdoutFraction: 0);
        var act = () => new Vl2vAdipTrainer(TinySetup.Options(teacher)).Fit(split);
        act.Should().Throw<ArgumentException>().WithMessage("*no validation examples*");
    }

    [Fact]
    public void Validation_teacher_embeddings_from_the_cache_file_give_the_same_run()
    {
        using var teacher = TinySetup.Teacher();
        var split = TinySetup.Split();
        using var folder = new TemporaryFolder();
        var options = TinySetup.Options(teacher) with { AlignSteps = 2, DistillSteps = 2 };
        using var inMemory = new Vl2vAdipTrainer(options).Fit(split);
        var cached = options with
        {
            TeacherCachePath = folder.File("teacher.safetensors"),
            TeacherIdentity = new TeacherCacheIdentity("tiny", "random-seed-7", "test"),
        };
        using var first = new Vl2vAdipTrainer(cached).Fit(split);
        File.Exists(folder.File("teacher.safetensors")).Should().BeTrue();
        using var second = new Vl2vAdipTrainer(cached).Fit(split); // served from the file this time

        foreach (var model in new[] { first, second })
            model.History.Evaluations.Select(e => e.ValidationDistillationLoss!.Value).Should()
                .Equal(inMemory.History.Evaluations.Select(e => e.ValidationDistillationLoss!.Value), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void The_returned_weights_are_the_mean_of_the_weights_collected_in_the_swad_window()
    {
        using var teacher = TinySetup.Teacher();
        // N_s = 1 starts the window at the first evaluation; a huge tolerance never closes it: every distill step is averaged.
        var options = TinySetup.Options(teacher) with
        {
            AlignSteps = 2,
            DistillSteps = 5,
            EvaluateEvery = 1,
            Swad = new SwadWindowOptions { ConvergeCount = 1, ToleranceCount = 100, ToleranceRatio = 1e6 },
        };
        var trainer = new Vl2vAdipTrainer(options);
        var sums = new Dictionary<string, double[]>();
        int collected = 0;
        trainer.StepObserver = (stage, _, module) =>
        {
            if (stage != "distill") return;
            collected++;
            foreach (var (key, tensor) in module.state_dict())
            {
                if (!tensor.is_floating_point()) continue;
                using var asDouble = tensor.detach().to(ScalarType.Float64).cpu();
                var values = asDouble.data<double>().ToArray();
                if (!sums.TryGetValue(key, out var sum)) sums[key] = sum = new double[values.Length];
                for (int i = 0; i < values.Length; i++) sum[i] += values[i];
            }
        };

        using var model = trainer.Fit(TinySetup.Split());

        collected.Should().Be(5);
        var summary = model.History.Stages.Single(s => s.Stage == "distill");
        summary.Used.Should().Be("swad");
        summary.AveragedSteps.Should().Be(5);
        (summary.StartStep, summary.EndStep).Should().Be((1L, 5L));
        var backbone = model.Network.Backbone.state_dict();
        foreach (var (key, sum) in sums)
        {
            using var actual = backbone[key].detach().to(ScalarType.Float64).cpu();
            var values = actual.data<double>().ToArray();
            for (int i = 0; i < values.Length; i++)
                values[i].Should().BeApproximately(sum[i] / collected, 1e-6, $"'{key}'[{i}] is the mean of the 5 collected weights");
        }
    }
}
