using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdSam.Diffusion.Models;

/// <summary>Halves the resolution with a stride-2 3×3 <c>conv</c> (diffusers' <c>Downsample2D</c>).</summary>
internal sealed class Downsample2D : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly bool _padRightBottom;

    /// <param name="channels">Input = output channels.</param>
    /// <param name="symmetricPadding">
    /// true: pad 1 on every side (UNet); false: pad only right and bottom by 1 before an unpadded conv, as the
    /// Stable-Diffusion VAE encoder does — needed for its weights to give the same numbers.
    /// </param>
    public Downsample2D(int channels, bool symmetricPadding = true) : base(nameof(Downsample2D))
    {
        _padRightBottom = !symmetricPadding;
        conv = nn.Conv2d(channels, channels, 3, stride: 2, padding: symmetricPadding ? 1 : 0);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (!_padRightBottom) return conv.call(input);
        using var padded = nn.functional.pad(input, new long[] { 0, 1, 0, 1 });
        return conv.call(padded);
    }
}

/// <summary>Doubles the resolution: nearest-neighbour upsampling, then a 3×3 <c>conv</c> (diffusers' <c>Upsample2D</c>).</summary>
internal sealed class Upsample2D : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public Upsample2D(int channels) : base(nameof(Upsample2D))
    {
        conv = nn.Conv2d(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var upsampled = nn.functional.interpolate(input, scale_factor: new[] { 2.0, 2.0 }, mode: InterpolationMode.Nearest);
        return conv.call(upsampled);
    }
}
