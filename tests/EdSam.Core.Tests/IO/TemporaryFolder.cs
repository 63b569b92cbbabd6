namespace EdSam.Tests.IO;

/// <summary>A fresh folder under the system temp directory, deleted with everything in it on dispose.</summary>
internal sealed class TemporaryFolder(string prefix) : IDisposable
{
    /// <summary>The folder's full path.</summary>
    public string FullName { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The path of <paramref name="fileName"/> inside the folder.</summary>
    public string File(string fileName = "model.safetensors") => Path.Combine(FullName, fileName);

    public void Dispose() => Directory.Delete(FullName, recursive: true);
}
