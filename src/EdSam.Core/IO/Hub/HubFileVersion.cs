using System.Security.Cryptography;
using System.Text;

namespace EdSam.IO.Hub;

/// <summary>
/// The version tag a Hugging Face-compatible hub gives a file, computed from the file's bytes: the SHA-256 for files
/// stored with Git LFS (their <c>X-Linked-Etag</c>), the git blob id — SHA-1 of <c>"blob {size}\0"</c> + bytes — for
/// small files (their <c>ETag</c>). Lets a cache that kept no tag check its files.
/// </summary>
internal static class HubFileVersion
{
    /// <summary>The tag of <paramref name="path"/> in the form of <paramref name="remoteTag"/> (64 or 40 hex digits),
    /// or null when that form is neither.</summary>
    public static async Task<string?> OfFileAsync(string path, string remoteTag, CancellationToken cancellationToken)
    {
        if (remoteTag.Length is not (64 or 40) || !remoteTag.All(Uri.IsHexDigit)) return null;
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            if (remoteTag.Length == 64)
                return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            sha1.AppendData(Encoding.ASCII.GetBytes($"blob {stream.Length}\0"));
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) sha1.AppendData(buffer, 0, read);
            return Convert.ToHexStringLower(sha1.GetHashAndReset());
        }
    }
}
