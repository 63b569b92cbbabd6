using EdSam.Imaging;
using static TorchSharp.torch;

namespace EdSam.Data;

/// <summary>Where an example's image comes from, decoded only when <see cref="Load"/> is called, so a data set
/// of millions of images costs a path (or an encoded byte array) per example until a batch needs it.</summary>
/// <remarks>Derive from this class for a synthetic source (a benchmark that renders its images from a
/// compact array, say); <see cref="FromFactory"/> covers the simple cases without a new type.</remarks>
public abstract class ImageSource
{
    /// <summary>Human-readable origin for messages: a file path, <c>shard.tar:key.jpg</c>, or a description.</summary>
    public abstract string Description { get; }

    /// <summary>Decodes the image. Returns a new float32 tensor of shape [3, H, W] with values in [0, 1] on the
    /// CPU; the caller owns (disposes) it.</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="ImageDecodeException">The bytes are not a decodable image; the message names the source.</exception>
    public abstract Tensor Load();

    /// <inheritdoc/>
    public override string ToString() => Description;

    /// <summary>An image file (jpg, png, bmp, gif, …) decoded on each <see cref="Load"/>.</summary>
    /// <param name="path">Path of the file; made absolute.</param>
    public static ImageSource FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FileImageSource(System.IO.Path.GetFullPath(path));
    }

    /// <summary>Encoded image bytes (as read from a tar member) decoded on each <see cref="Load"/>.</summary>
    /// <param name="encoded">The encoded file content (kept by reference, not copied).</param>
    /// <param name="description">Where the bytes came from, used in error messages.</param>
    public static ImageSource FromBytes(byte[] encoded, string description)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentException.ThrowIfNullOrEmpty(description);
        return new EncodedImageSource(encoded, description);
    }

    /// <summary>An image already in memory. <see cref="Load"/> returns a copy each time, so the caller may
    /// dispose what it gets; this source keeps its own tensor (dispose it when the data set is done).</summary>
    /// <param name="image">float32 [3, H, W] in [0, 1].</param>
    /// <param name="description">Name used in messages.</param>
    /// <exception cref="ArgumentException">The tensor is not [3, H, W].</exception>
    public static ImageSource FromTensor(Tensor image, string description)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"Expected an image tensor of shape [3, H, W], got [{string.Join(", ", image.shape)}].", nameof(image));
        return new FactoryImageSource(() => image.to_type(ScalarType.Float32, copy: true), description);
    }

    /// <summary>An image produced by <paramref name="factory"/> on each <see cref="Load"/> (it must return a
    /// new float32 [3, H, W] tensor in [0, 1] that the caller will own).</summary>
    /// <param name="factory">Makes the image.</param>
    /// <param name="description">Name used in messages.</param>
    public static ImageSource FromFactory(Func<Tensor> factory, string description)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentException.ThrowIfNullOrEmpty(description);
        return new FactoryImageSource(factory, description);
    }

    /// <summary>The file behind this source, or null; lets writers copy encoded files without re-encoding.</summary>
    internal virtual string? FilePath => null;

    /// <summary>The encoded bytes behind this source, or null.</summary>
    internal virtual byte[]? EncodedBytes => null;

    private sealed class FileImageSource(string path) : ImageSource
    {
        public override string Description => path;

        internal override string? FilePath => path;

        public override Tensor Load()
        {
            return ImageDecoder.DecodeFile(path);
        }
    }

    private sealed class EncodedImageSource(byte[] encoded, string description) : ImageSource
    {
        public override string Description => description;

        internal override byte[]? EncodedBytes => encoded;

        public override Tensor Load() => ImageDecoder.Decode(encoded, description);
    }

    private sealed class FactoryImageSource(Func<Tensor> factory, string description) : ImageSource
    {
        public override string Description => description;

        public override Tensor Load() => factory();
    }
}
