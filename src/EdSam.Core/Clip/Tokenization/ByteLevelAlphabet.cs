namespace EdSam.Clip.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ character table ("bytes_to_unicode") that byte-level BPE vocabularies are written in:
/// printable Latin-1 bytes stand for themselves, the other 68 bytes are moved to U+0100 and up, so every
/// token is a visible string without whitespace or control characters.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The character that stands for each byte value.</summary>
    public static IReadOnlyList<char> ByteToChar { get; }

    /// <summary>
    /// The 256 characters in the order the reference builds its vocabulary: the printable bytes
    /// ('!'..'~', '¡'..'¬', '®'..'ÿ') first, then the remapped ones in byte order.
    /// </summary>
    public static IReadOnlyList<char> VocabularyOrder { get; }

    private static readonly Dictionary<char, byte> CharToByte;

    static ByteLevelAlphabet()
    {
        var byteToChar = new char[256];
        var order = new List<char>(256);
        foreach (int b in Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 0xAC - 0xA1 + 1)).Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)))
        {
            byteToChar[b] = (char)b;
            order.Add((char)b);
        }
        int shifted = 0;
        for (int b = 0; b < 256; b++)
        {
            if (byteToChar[b] != '\0') continue;
            byteToChar[b] = (char)(256 + shifted++);
            order.Add(byteToChar[b]);
        }
        ByteToChar = byteToChar;
        VocabularyOrder = order;
        CharToByte = Enumerable.Range(0, 256).ToDictionary(b => byteToChar[b], b => (byte)b);
    }

    /// <summary>The byte a vocabulary character stands for; false for characters outside the alphabet.</summary>
    public static bool TryGetByte(char c, out byte value) => CharToByte.TryGetValue(c, out value);
}
