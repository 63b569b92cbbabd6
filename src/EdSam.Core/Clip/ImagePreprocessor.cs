using EdSam.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace EdSam.Clip;

/// <summary>
/// Turns images into CLIP vision-tower input: resize the shortest side to <see cref="ImagePreprocessorOptions.ResizeSize"/>
/// (antialiased bicubic by default), take the centre <see cref="ImagePreprocessorOptions.CropSize"/>² crop, then
/// normalise each channel with <c>(x − mean) / std</c>. With default options this is OpenAI CLIP's
/// <c>Resize(224, BICUBIC) → CenterCrop(224) → ToTensor → Normalize(CLIP mean, std)</c>.
/// </summary>
/// <remarks>
/// Inputs are float tensors with pixel values in [0, 1] (<c>[3, H, W]</c> or <c>[N, 3, H, W]</c>) or image files.
/// Outputs are float32 on the input's device; steps are differentiable (except for clamping at the bounds), so
/// generated images can be preprocessed inside a gradient computation. Instances are immutable and thread-safe.
/// </remarks>
public sealed class ImagePreprocessor
{
    /// <summary>Creates a preprocessor; <paramref name="options"/> defaults to <see cref="ImagePreprocessorOptions.Clip"/> at 224 pixels.</summary>
    /// <param name="options">The validated options.</param>
    /// <exception cref="ArgumentException">An option is invalid (all problems are listed).</exception>
    public ImagePreprocessor(ImagePreprocessorOptions? options = null)
    {
        Options = options ?? new ImagePreprocessorOptions();
        Options.Validate();
    }

    /// <summary>The options this preprocessor applies.</summary>
    public ImagePreprocessorOptions Options { get; }

    /// <summary>Decodes and preprocesses one image file.</summary>
    /// <param name="path">Path of a JPEG, PNG, BMP, GIF, TGA, PSD or PNM file.</param>
    /// <returns>A new float32 CPU tensor <c>[3, CropSize, CropSize]</c>.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ImageDecodeException">The file is not a readable image.</exception>
    public Tensor Preprocess(string path)
    {
        using var scope = torch.NewDisposeScope();
        Tensor image = ImageDecoder.DecodeFile(path, Options.Decode);
        return scope.MoveToOuter(Preprocess(image));
    }

    /// <summary>Decodes and preprocesses image files into one batch (images may have different sizes).</summary>
    /// <param name="paths">Image file paths; at least one.</param>
    /// <returns>A new float32 CPU tensor <c>[N, 3, CropSize, CropSize]</c>, in the order of <paramref name="paths"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="paths"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="ImageDecodeException">A file is not a readable image; the message names it.</exception>
    public Tensor Preprocess(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        using var scope = torch.NewDisposeScope();
        var images = new List<Tensor>();
        foreach (string path in paths)
        {
            // Each decode + resize runs in its own scope so only the small preprocessed image survives.
            using var itemScope = torch.NewDisposeScope();
            images.Add(itemScope.MoveToOuter(Preprocess(path)));
        }
        if (images.Count == 0) throw new ArgumentException("At least one image path is required.", nameof(paths));
        return scope.MoveToOuter(torch.stack(images));
    }

    /// <summary>Preprocesses an image or a batch of images of one size.</summary>
    /// <param name="images">Float pixels in [0, 1]: <c>[3, H, W]</c> or <c>[N, 3, H, W]</c>, on any device.</param>
    /// <returns>A new float32 tensor <c>[3, S, S]</c> or <c>[N, 3, S, S]</c> (S = CropSize) on the input's device.</returns>
    /// <exception cref="ArgumentException">Wrong shape or dtype, or values clearly outside [0, 1] (for example 0–255 pixels).</exception>
    public Tensor Preprocess(Tensor images)
    {
        ValidateImages(images, nameof(images));
        using var scope = torch.NewDisposeScope();
        bool single = images.dim() == 3;
        Tensor batch = single ? images.unsqueeze(0) : images;
        Tensor result = Normalize(CenterCrop(Resize(batch)));
        return scope.MoveToOuter(single ? result.squeeze(0) : result);
    }

    /// <summary>Resizes so the shortest side equals <see cref="ImagePreprocessorOptions.ResizeSize"/>.</summary>
    /// <param name="images">Float pixels <c>[..., H, W]</c> (3-d or 4-d).</param>
    /// <returns>A new float32 tensor; the long side is <c>floor(ResizeSize · long / short)</c>, as torchvision computes it.
    /// An image whose short side already has the target length is returned unresampled (a float32 copy).</returns>
    public Tensor Resize(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() is not (3 or 4)) throw new ArgumentException($"Expected [C, H, W] or [N, C, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = torch.NewDisposeScope();
        bool single = images.dim() == 3;
        Tensor batch = (single ? images.unsqueeze(0) : images).to(ScalarType.Float32);
        long height = batch.shape[2], width = batch.shape[3];
        var (newHeight, newWidth) = ResizedShape(height, width, Options.ResizeSize);

        Tensor resized;
        if (newHeight == height && newWidth == width)
        {
            resized = batch.clone();
        }
        else
        {
            var (mode, antialias) = Options.Interpolation switch
            {
                ResizeInterpolation.Bicubic => (InterpolationMode.Bicubic, Options.Antialias),
                ResizeInterpolation.Bilinear => (InterpolationMode.Bilinear, Options.Antialias),
                _ => (InterpolationMode.NearestExact, false),
            };
            // PyTorch's antialiased kernels are PIL's: bicubic with a = −0.5, support scaled by the downscale factor.
            bool? alignCorners = mode == InterpolationMode.NearestExact ? null : false;
            resized = nn.functional.interpolate(batch, size: [newHeight, newWidth], mode: mode, align_corners: alignCorners, antialias: antialias);
            if (Options.ClampAfterResize) resized = resized.clamp(0, 1);
        }
        return scope.MoveToOuter(single ? resized.squeeze(0) : resized);
    }

    /// <summary>Takes the centre <see cref="ImagePreprocessorOptions.CropSize"/>² window, zero-padding images smaller than it.</summary>
    /// <param name="images">A tensor <c>[..., H, W]</c> (3-d or 4-d).</param>
    /// <returns>A new tensor <c>[..., CropSize, CropSize]</c>; the offset is <c>round((H − CropSize) / 2)</c> (round half to even, as torchvision).</returns>
    public Tensor CenterCrop(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() < 2) throw new ArgumentException($"Expected an image tensor [..., H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = torch.NewDisposeScope();
        long crop = Options.CropSize;
        long height = images.shape[^2], width = images.shape[^1];
        Tensor source = images;
        if (height < crop || width < crop)
        {
            // torchvision pads (left, right, top, bottom) so the crop fits, then crops the centre of the padded image.
            long padTop = Math.Max(0, (crop - height) / 2), padLeft = Math.Max(0, (crop - width) / 2);
            long padBottom = Math.Max(0, (crop - height + 1) / 2), padRight = Math.Max(0, (crop - width + 1) / 2);
            source = nn.functional.pad(images, [padLeft, padRight, padTop, padBottom], PaddingModes.Constant, 0);
            height = source.shape[^2];
            width = source.shape[^1];
        }
        long top = (long)Math.Round((height - crop) / 2.0, MidpointRounding.ToEven);
        long left = (long)Math.Round((width - crop) / 2.0, MidpointRounding.ToEven);
        Tensor cropped = source.narrow(-2, top, crop).narrow(-1, left, crop).clone();
        return scope.MoveToOuter(cropped);
    }

    /// <summary>Applies <c>(x − mean) / std</c> per channel.</summary>
    /// <param name="images">Float pixels <c>[3, H, W]</c> or <c>[N, 3, H, W]</c> in [0, 1].</param>
    /// <returns>A new float32 tensor of the same shape.</returns>
    public Tensor Normalize(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() is not (3 or 4) || images.shape[^3] != 3)
            throw new ArgumentException($"Expected [3, H, W] or [N, 3, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = torch.NewDisposeScope();
        Tensor mean = torch.tensor(Options.Mean.ToArray(), device: images.device).view(3, 1, 1);
        Tensor std = torch.tensor(Options.Std.ToArray(), device: images.device).view(3, 1, 1);
        return scope.MoveToOuter(images.to(ScalarType.Float32).sub(mean).div(std));
    }

    /// <summary>Output size for resizing the shortest side to <paramref name="size"/>, with torchvision's truncation of the long side.</summary>
    internal static (long Height, long Width) ResizedShape(long height, long width, long size)
    {
        if (height <= width)
            return (size, Math.Max(1, (long)(size * (double)width / height)));
        return (Math.Max(1, (long)(size * (double)height / width)), size);
    }

    private static void ValidateImages(Tensor images, string parameter)
    {
        ArgumentNullException.ThrowIfNull(images, parameter);
        if (images.dim() is not (3 or 4) || images.shape[^3] != 3)
            throw new ArgumentException($"Expected RGB images [3, H, W] or [N, 3, H, W]; got [{string.Join(", ", images.shape)}]. " +
                "Repeat grey images over 3 channels first.", parameter);
        if (!images.is_floating_point())
            throw new ArgumentException($"Expected floating-point pixels in [0, 1]; got {images.dtype}. Convert with .to(float32).div(255) for 8-bit pixels.", parameter);
        if (images.shape[^1] == 0 || images.shape[^2] == 0 || (images.dim() == 4 && images.shape[0] == 0))
            throw new ArgumentException($"The image batch is empty: [{string.Join(", ", images.shape)}].", parameter);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        // A cheap range check catches the common 0–255 mistake, which would otherwise give silently wrong features.
        double max = images.max().to(ScalarType.Float64).item<double>();
        double min = images.min().to(ScalarType.Float64).item<double>();
        if (!(max <= 2.0 && min >= -1.0))
            throw new ArgumentException($"Expected pixel values in [0, 1]; got values in [{min}, {max}]" +
                (max > 2 ? " (0–255 pixels? divide by 255 first)." : "."), parameter);
    }
}
