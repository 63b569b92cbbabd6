using EdSam.Diffusion.Models;

namespace EdSam.Diffusion.Tests.Models;

public class UNet2DConfigTests
{
    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var config = new UNet2DConfig();
        config.ImageSize.Should().Be(32);
        config.InChannels.Should().Be(3);
        config.OutChannels.Should().Be(3);
        config.BaseChannels.Should().Be(64);
        config.ChannelMultipliers.Should().Equal(1, 2, 2);
        config.LayersPerBlock.Should().Be(2);
        config.AttentionResolutions.Should().Equal(8);
        config.AttentionHeadDim.Should().Be(32);
        config.NormGroups.Should().Be(32);
        config.NormEps.Should().Be(1e-5);
        config.Dropout.Should().Be(0);
        config.TimeEmbeddingDim.Should().Be(256);
        config.ResnetTimeScaleShift.Should().BeTrue();
        config.NumClasses.Should().BeNull();
        config.TextEmbeddingDim.Should().BeNull();
        config.Validate().Should().BeSameAs(config);
    }

    [Fact]
    public void Validate_lists_every_error_at_once()
    {
        var config = new UNet2DConfig { ImageSize = 30, NormGroups = 24, AttentionResolutions = [5], Dropout = 1.5 };

        var act = () => config.Validate();

        var message = act.Should().Throw<OptionsValidationException>().Which.Message;
        message.Should().StartWith("Invalid UNet2DConfig: ");
        message.Should().Contain("The field ImageSize (30) must be divisible by 2^2 = 4 for 3 levels");
        message.Should().Contain("The field NormGroups (24) must divide every level's channel count; 64 is not divisible by it.");
        message.Should().Contain("The field AttentionResolutions contains 5, which is not a level resolution (30, 15, 7 px).");
        message.Should().Contain("The field Dropout must be between 0 and 0.99.");
    }

    [Theory]
    [InlineData(nameof(UNet2DConfig.BaseChannels), "The field BaseChannels (9) must be even")]
    [InlineData(nameof(UNet2DConfig.ChannelMultipliers), "The field ChannelMultipliers must list at least one level")]
    [InlineData(nameof(UNet2DConfig.AttentionHeadDim), "The field AttentionHeadDim (48) must divide the 128 channels of attention level 2")]
    public void Validate_names_the_offending_field(string field, string expected)
    {
        var config = field switch
        {
            nameof(UNet2DConfig.BaseChannels) => new UNet2DConfig { BaseChannels = 9, NormGroups = 1, AttentionHeadDim = 1 },
            nameof(UNet2DConfig.ChannelMultipliers) => new UNet2DConfig { ChannelMultipliers = [] },
            _ => new UNet2DConfig { AttentionHeadDim = 48 },
        };
        var act = () => config.Validate();
        act.Should().Throw<OptionsValidationException>().WithMessage($"*{expected}*");
    }

    [Fact]
    public void Constructing_a_model_from_an_invalid_config_throws_before_allocating()
    {
        var act = () => new UNet2D(new UNet2DConfig { ImageSize = 30 });
        act.Should().Throw<OptionsValidationException>().WithMessage("*ImageSize (30)*");
    }

    [Theory]
    [InlineData(28, 1)]
    [InlineData(32, 3)]
    [InlineData(64, 3)]
    public void Presets_are_valid_for_the_sizes_they_document(int imageSize, int channels)
    {
        UNet2DConfig.Tiny(imageSize, channels).ImageSize.Should().Be(imageSize);
        UNet2DConfig.Small(imageSize, channels).InChannels.Should().Be(channels);
    }

    [Fact]
    public void Tiny_has_one_to_three_million_parameters()
    {
        using var model = new UNet2D(UNet2DConfig.Tiny(32));
        model.ParameterCount.Should().BeInRange(1_000_000, 3_000_000);
    }

    [Fact]
    public void Equality_compares_the_lists_by_value()
    {
        (UNet2DConfig.Tiny(32) == UNet2DConfig.Tiny(32)).Should().BeTrue();
        (UNet2DConfig.Tiny(32) == (UNet2DConfig.Tiny(32) with { ChannelMultipliers = [1, 2, 4] })).Should().BeFalse();
    }
}
