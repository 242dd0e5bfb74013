namespace Berth.Registry.Blobs;

/// <summary>
/// Content-addressed blobs under <c>ROOT/blobs/sha256/ab/abcdef...</c>, shared by every repository. A blob file
/// appears only whole: it is written elsewhere, fsynced and renamed into place, so a reader never sees a partial one.
/// </summary>
public sealed class BlobStore
{
    private readonly string _blobs;

    /// <summary>Uses (and creates) <c>ROOT/blobs</c> and <c>ROOT/tmp</c>.</summary>
    public BlobStore(string root)
    {
        Root = root;
        _blobs = Path.Combine(root, "blobs", "sha256");
        TempDir = Path.Combine(root, "tmp");
        Directory.CreateDirectory(_blobs);
        Directory.CreateDirectory(TempDir);
    }

    /// <summary>The registry's root directory.</summary>
    public string Root { get; }

    /// <summary>Where whole files are written before they are renamed into place (same file system as the blobs).</summary>
    public string TempDir { get; }

    /// <summary>The path of a blob (whether or not it exists).</summary>
    public string PathOf(string digest)
    {
        var hex = Digest.Hex(digest);
        return Path.Combine(_blobs, hex[..2], hex);
    }

    /// <summary>The size of a blob, or null when it is not stored.</summary>
    public long? SizeOf(string digest)
    {
        if (!Digest.IsValid(digest))
        {
            return null;
        }

        var info = new FileInfo(PathOf(digest));
        return info.Exists ? info.Length : null;
    }

    /// <summary>True when the blob is stored.</summary>
    public bool Exists(string digest) => SizeOf(digest) is not null;

    /// <summary>Reads a whole (small) blob, e.g. a manifest; null when it is not stored.</summary>
    public byte[]? ReadAll(string digest)
    {
        try
        {
            return Digest.IsValid(digest) ? File.ReadAllBytes(PathOf(digest)) : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Stores <paramref name="content"/> under its digest (temporary file, fsync, rename) and returns the digest.</summary>
    public string Put(ReadOnlySpan<byte> content)
    {
        var digest = Digest.Of(content);
        if (Exists(digest))
        {
            return digest;
        }

        var temporary = Path.Combine(TempDir, Guid.NewGuid().ToString("N"));
        using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        Commit(temporary, digest);
        return digest;
    }

    /// <summary>
    /// Moves a finished, fsynced file into place as <paramref name="digest"/>. When the blob is already there
    /// the file is dropped: same digest, same bytes.
    /// </summary>
    public void Commit(string finishedFile, string digest)
    {
        var target = PathOf(digest);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        if (File.Exists(target))
        {
            File.Delete(finishedFile);
            return;
        }

        File.Move(finishedFile, target, overwrite: true);
        SyncDirectory(directory);
    }

    /// <summary>Removes a blob; false when it was not there.</summary>
    public bool Delete(string digest)
    {
        var path = PathOf(digest);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>Every stored blob's digest with its last write time (for garbage collection).</summary>
    public IEnumerable<(string Digest, DateTime WrittenUtc)> Enumerate()
    {
        foreach (var file in Directory.EnumerateFiles(_blobs, "*", SearchOption.AllDirectories))
        {
            var digest = Digest.Sha256Prefix + Path.GetFileName(file);
            if (Digest.IsValid(digest))
            {
                yield return (digest, File.GetLastWriteTimeUtc(file));
            }
        }
    }

    // The rename is durable only once the directory entry is: fsync the directory (best effort where unsupported).
    private static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            using var handle = File.OpenHandle(directory, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.None);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
