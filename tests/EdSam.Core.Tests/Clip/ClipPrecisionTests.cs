using EdSam.Clip;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace EdSam.Tests.Clip;

public class ClipPrecisionTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [InlineData("tiny-vit", false)]
    [InlineData("tiny-rn", false)]
    [InlineData("tiny-vit", true)]
    [InlineData("tiny-rn", true)]
    public void Bf16_features_stay_within_cosine_0_999_of_fp32(string name, bool nativeBf16Kernels)
    {
        // Both paths: libtorch's bf16 kernels (CPUs with AVX-512-BF16/AMX) and fp32 compute on bf16 weights (others).
        ClipOps.NativeBf16Override = nativeBf16Kernels;
        try
        {
            CheckBf16(name, nativeBf16Kernels);
        }
        finally
        {
            ClipOps.NativeBf16Override = null;
        }
    }

    private void CheckBf16(string name, bool nativeBf16Kernels)
    {
        using var fixture = ClipFixture.Open(name);
        using var model = fixture.LoadModel(new ClipLoadOptions { Precision = ClipPrecision.Bf16 });
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var imageFeatures = model.EncodeImage(fixture.Images.to(ScalarType.BFloat16));
        var textFeatures = model.EncodeText(fixture.Tokens);
        var (logits, _) = model.call(fixture.Images, fixture.Tokens);

        imageFeatures.dtype.Should().Be(ScalarType.BFloat16);
        logits.dtype.Should().Be(ScalarType.BFloat16);
        var imageCos = nn.functional.cosine_similarity(imageFeatures.to(ScalarType.Float32), fixture.IO["image_features"], dim: 1);
        var textCos = nn.functional.cosine_similarity(textFeatures.to(ScalarType.Float32), fixture.IO["text_features"], dim: 1);
        double minImage = imageCos.min().item<float>(), minText = textCos.min().item<float>();
        output.WriteLine($"{name} bf16 ({(nativeBf16Kernels ? "bf16 kernels" : "fp32 compute")}) vs fp32: min image cosine {minImage:F5}, min text cosine {minText:F5}");
        minImage.Should().BeGreaterThanOrEqualTo(0.999);
        minText.Should().BeGreaterThanOrEqualTo(0.999);
    }

    [SkippableFact]
    public void Bf16_keeps_integer_buffers_integer()
    {
        using var fixture = ClipFixture.Open("tiny-rn");
        using var model = fixture.LoadModel(new ClipLoadOptions { Precision = ClipPrecision.Bf16 });
        var state = model.state_dict();
        state["visual.bn1.num_batches_tracked"].dtype.Should().Be(ScalarType.Int64);
        state["visual.bn1.running_var"].dtype.Should().Be(ScalarType.BFloat16);
    }
}
