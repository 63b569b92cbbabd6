using EdSam.Distillation.Students;
using EdSam.Distillation.Tests.TestSupport;
using EdSam.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Distillation.Tests.Students;

public class StudentFactoryTests
{
    [Theory]
    [InlineData(StudentArchitecture.TinyResNet, 64)]
    [InlineData(StudentArchitecture.TinyVit, 64)]
    public void Tiny_architectures_build_with_their_feature_dims(StudentArchitecture architecture, int featureDim)
    {
        using var model = StudentFactory.Create(architecture);
        model.FeatureDim.Should().Be(featureDim);
        using var images = randn(2, 3, 32, 32);
        using var features = model.call(images);
        features.shape.Should().Equal(2, featureDim);
    }

    [Fact]
    public void A_seed_makes_initialisation_repeatable_whatever_the_global_generator_does()
    {
        random.manual_seed(1);
        using var a = StudentFactory.Create(StudentArchitecture.TinyVit, new StudentOptions { Seed = 7 });
        random.manual_seed(2);
        using var b = StudentFactory.Create(StudentArchitecture.TinyVit, new StudentOptions { Seed = 7 });
        using var c = StudentFactory.Create(StudentArchitecture.TinyVit, new StudentOptions { Seed = 8 });
        foreach (var (key, value) in a.state_dict())
            value.allclose(b.state_dict()[key], 0, 0).Should().BeTrue(key);
        a.state_dict()["pos_embed"].allclose(c.state_dict()["pos_embed"]).Should().BeFalse();
        a.state_dict()["patch_embed.proj.weight"].allclose(c.state_dict()["patch_embed.proj.weight"]).Should().BeFalse();

        using var r1 = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 7 });
        using var r2 = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 7 });
        foreach (var (key, value) in r1.state_dict())
            value.allclose(r2.state_dict()[key], 0, 0).Should().BeTrue(key);
    }

    [Fact]
    public void Loads_its_own_weights_and_ignores_a_1000_class_head_with_a_note()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("resnet.safetensors");
        using (var source = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 1 }))
        {
            var state = source.state_dict().ToDictionary(e => e.Key, e => e.Value);
            using var imagenetHead = randn(1000, 64);
            using var imagenetBias = randn(1000);
            state["fc.weight"] = imagenetHead; // an ImageNet classification head of another shape
            state["fc.bias"] = imagenetBias;
            SafeTensors.Save(path, state);
        }

        using var expected = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 1 });
        using var loaded = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 2 });
        var report = StudentFactory.LoadWeights(loaded, path);

        foreach (var (key, value) in expected.state_dict().Where(e => !e.Key.StartsWith("fc.")))
            value.allclose(loaded.state_dict()[key], 0, 0).Should().BeTrue(key);
        report.IgnoredKeys.Should().BeEquivalentTo("fc.weight", "fc.bias");
        report.Notes.Should().Contain(n => n.Contains("classification head"));
        report.LoadedKeys.Should().HaveCount(expected.state_dict().Count - 2);
    }

    [Fact]
    public void Create_with_weights_path_loads_them_and_missing_num_batches_tracked_is_tolerated()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("old-torchvision.safetensors");
        using (var source = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 3 }))
        {
            // Pre-1.0 PyTorch checkpoints (torchvision's original ImageNet ResNets) have no num_batches_tracked.
            var state = source.state_dict().Where(e => !e.Key.EndsWith("num_batches_tracked")).ToDictionary(e => "module." + e.Key, e => e.Value);
            SafeTensors.Save(path, state);
        }
        using var expected = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 3 });
        using var loaded = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { WeightsPath = path, Seed = 4 });
        loaded.state_dict()["layer3.0.conv2.weight"].allclose(expected.state_dict()["layer3.0.conv2.weight"], 0, 0).Should().BeTrue();
        var report = StudentFactory.LoadWeights(loaded, path);
        report.DefaultedKeys.Should().Contain("bn1.num_batches_tracked").And.OnlyContain(k => k.EndsWith("num_batches_tracked"));
        report.Notes.Should().Contain(n => n.Contains("'module.'"));
    }

    [Fact]
    public void Strict_loading_names_every_missing_unexpected_and_misshaped_key_and_copies_nothing()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("bad.safetensors");
        using (var source = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 5 }))
        {
            var state = source.state_dict().ToDictionary(e => e.Key, e => e.Value);
            state.Remove("layer1.0.conv1.weight");
            state.Remove("layer4.0.bn2.running_var");
            using var stray = zeros(1);
            using var wrongKernel = zeros(16, 16, 5, 5);
            state["layer9.0.conv1.weight"] = stray;
            state["layer2.0.conv2.weight"] = wrongKernel;
            SafeTensors.Save(path, state);
        }
        using var model = StudentFactory.Create(StudentArchitecture.TinyResNet, new StudentOptions { Seed = 6 });
        using var before = model.state_dict()["conv1.weight"].clone();

        var error = model.Invoking(m => StudentFactory.LoadWeights(m, path)).Should().Throw<StateDictMismatchException>().Which;
        error.MissingKeys.Should().BeEquivalentTo("layer1.0.conv1.weight", "layer4.0.bn2.running_var");
        error.UnexpectedKeys.Should().BeEquivalentTo("layer9.0.conv1.weight");
        error.ShapeMismatches.Should().ContainSingle().Which.Should().Be("layer2.0.conv2.weight: checkpoint [16, 16, 5, 5] vs model [16, 16, 3, 3]");
        error.Message.Should().ContainAll(path, "layer1.0.conv1.weight", "layer4.0.bn2.running_var", "layer9.0.conv1.weight", "layer2.0.conv2.weight", "2 missing, 1 unexpected, 1 mis-shaped");
        model.state_dict()["conv1.weight"].allclose(before, 0, 0).Should().BeTrue("a failed strict load copies nothing");
    }

    [Fact]
    public void Vit_checkpoint_at_another_resolution_gets_its_positional_grid_resized()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("vit16px.safetensors");
        using (var source = StudentFactory.Create(StudentArchitecture.TinyVit, new StudentOptions { ImageSize = 16, Seed = 1 }))
            SafeTensors.Save(path, source.state_dict());

        using var model = StudentFactory.Create(StudentArchitecture.TinyVit, new StudentOptions { WeightsPath = path });
        using var source16 = StudentFactory.Create(StudentArchitecture.TinyVit, new StudentOptions { ImageSize = 16, Seed = 1 });
        var state = model.state_dict();
        state["pos_embed"].shape.Should().Equal(1, 65, 64);
        // The class token's positional embedding is carried over unchanged.
        state["pos_embed"][0, 0].allclose(source16.state_dict()["pos_embed"][0, 0], 0, 0).Should().BeTrue();
        StudentFactory.LoadWeights(model, path).Notes.Should().Contain(n => n.Contains("4×4") && n.Contains("8×8"));
    }

    [Fact]
    public void Options_validation_lists_every_problem()
    {
        var options = new StudentOptions { WeightsPath = " ", ImageSize = 0 };
        options.Invoking(o => StudentFactory.Create(StudentArchitecture.TinyVit, o)).Should().Throw<ArgumentException>()
            .Which.Message.Should().ContainAll("WeightsPath", "ImageSize");
        FluentActions.Invoking(() => StudentFactory.Create((StudentArchitecture)99)).Should().Throw<ArgumentException>().WithMessage("*99*ResNet18*");
    }
}
