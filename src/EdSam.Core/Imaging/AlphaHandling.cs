namespace EdSam.Imaging;

/// <summary>What <see cref="ImageDecoder"/> does with an alpha channel when it produces RGB.</summary>
public enum AlphaHandling
{
    /// <summary>Composite over white: <c>rgb·α + 1·(1−α)</c>. Transparent pixels become white.</summary>
    CompositeOnWhite,

    /// <summary>Composite over black: <c>rgb·α</c>. Transparent pixels become black.</summary>
    CompositeOnBlack,

    /// <summary>
    /// Drop alpha and keep the stored colour values, as PIL's <c>Image.convert("RGB")</c> does
    /// (the conversion open_clip's preprocessing applies), for exact parity with Python pipelines.
    /// </summary>
    Discard,
}
