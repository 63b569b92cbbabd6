using StbImageSharp;
using static TorchSharp.torch;

namespace EdSam.Data;

/// <summary>The one place the data layer turns encoded images into tensors, translating decoder errors into
/// <see cref="DataInputException"/>s that name the source.</summary>
internal static class ImageDecoding
{
    public static Tensor DecodeFile(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw; }
        catch (IOException e) { throw new DataInputException(path, "the image file cannot be read: " + e.Message, innerException: e); }
        return DecodeBytes(bytes, path);
    }

    public static Tensor DecodeBytes(byte[] encoded, string description)
    {
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(encoded, ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new DataInputException(description, $"not a decodable image ({encoded.Length} bytes): {e.Message}", innerException: e);
        }
        if (image?.Data is null || image.Width <= 0 || image.Height <= 0 || image.Data.Length < image.Width * image.Height * 3)
            throw new DataInputException(description, $"not a decodable image ({encoded.Length} bytes).");

        // HWC bytes -> CHW float in [0, 1].
        using var hwc = tensor(image.Data, [image.Height, image.Width, 3], ScalarType.Byte);
        using var chw = hwc.permute(2, 0, 1);
        return chw.to_type(ScalarType.Float32).div_(255f);
    }
}
