namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>A fresh directory under the system temp dir, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates the directory.</summary>
    public TempDir(string prefix = "berth-e2e-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <summary>A path inside the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a process that has not quite let go yet leaves a temp dir behind.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
