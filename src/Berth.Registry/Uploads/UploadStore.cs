using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Berth.Registry.Blobs;

namespace Berth.Registry.Uploads;

/// <summary>Why an upload step was refused; the HTTP and ECR edges map it to their own error shapes.</summary>
public enum UploadError
{
    /// <summary>No upload with that id.</summary>
    Unknown,

    /// <summary>A chunk did not start where the upload ends.</summary>
    OutOfOrder,

    /// <summary>The content does not hash to the digest the client named.</summary>
    DigestMismatch,

    /// <summary>The digest given is not a valid sha256 digest.</summary>
    DigestInvalid,

    /// <summary>The repository already has as many uploads in flight as it may.</summary>
    TooMany,
}

/// <summary>An upload step that was refused.</summary>
public sealed class UploadException(UploadError error, string message) : Exception(message)
{
    /// <summary>What went wrong.</summary>
    public UploadError Error { get; } = error;
}

/// <summary>
/// The request body could not be read — broken chunked framing, slower than the minimum data rate, cut off — so the
/// step is the client's fault, not the server's. An <see cref="IOException"/> still, so a client that went away is
/// handled as before.
/// </summary>
public sealed class BodyReadException(IOException inner) : IOException("the request body could not be read: " + inner.Message, inner);

/// <summary>
/// Blob uploads in progress: one file per upload under <c>ROOT/uploads/ID</c>, hashed as it is written so
/// finishing needs no second read. The file is the upload: a server that shares the blob directory continues an upload
/// another one started (a step that finds the file moved on hashes it again; one that finds it gone finds the upload
/// unknown), so a push may move between servers. Finishing fsyncs the file, checks the digest and renames it into the
/// blob store. Every step on an upload holds its gate, and an upload once finished, cancelled or expired is closed: a
/// step that waited for the gate meanwhile finds it unknown.
/// </summary>
public sealed class UploadStore
{
    private const int BufferSize = 1 << 20;
    private readonly string _directory;
    private readonly BlobStore _blobs;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _starting = new();

    /// <summary>Uses (and creates) <c>ROOT/uploads</c>.</summary>
    public UploadStore(BlobStore blobs, TimeProvider? time = null)
    {
        _blobs = blobs;
        _time = time ?? TimeProvider.System;
        _directory = Path.Combine(blobs.Root, "uploads");
        Directory.CreateDirectory(_directory);
    }

    /// <summary>How many uploads one repository may have in flight (started, neither finished, cancelled nor expired).</summary>
    public int MaxPerRepository { get; init; } = 100;

    /// <summary>Starts an upload for <paramref name="repository"/>; returns its id. Refused (TooMany) past <see cref="MaxPerRepository"/>.</summary>
    public string Start(string repository)
    {
        lock (_starting)
        {
            var inFlight = 0;
            foreach (var session in _sessions.Values)
            {
                if (!session.Closed && session.Repository == repository)
                {
                    inFlight++;
                }
            }

            if (inFlight >= MaxPerRepository)
            {
                throw new UploadException(UploadError.TooMany, $"repository {repository} has {inFlight} uploads in progress, the most it may have");
            }

            var id = Guid.NewGuid().ToString();
            var path = Path.Combine(_directory, id);
            File.WriteAllBytes(path, []);
            _sessions[id] = new Session(id, repository, path) { LastUsed = _time.GetUtcNow() };
            return id;
        }
    }

    /// <summary>The bytes received so far, or null when the upload does not exist (for <paramref name="repository"/>).</summary>
    /// <remarks>Read from the file: another server sharing the blob directory may have received some of them.</remarks>
    public long? Offset(string repository, string id)
        => Find(repository, id) is { } session && new FileInfo(session.Path) is { Exists: true } file ? file.Length : null;

    /// <summary>The repository an upload was started for, or null.</summary>
    public string? RepositoryOf(string id) => Find(null, id)?.Repository;

    /// <summary>
    /// Appends <paramref name="body"/> to the upload. <paramref name="expectedStart"/> (from Content-Range) must be where
    /// the upload ends. Returns the new size.
    /// </summary>
    public async Task<long> AppendAsync(string repository, string id, PipeReader body, long? expectedStart, CancellationToken cancellationToken)
    {
        var session = Find(repository, id) ?? throw new UploadException(UploadError.Unknown, "blob upload unknown to registry");
        await session.Gate.WaitAsync(cancellationToken);
        try
        {
            if (session.Closed || !Refresh(session))
            {
                throw new UploadException(UploadError.Unknown, "blob upload unknown to registry");
            }

            session.LastUsed = _time.GetUtcNow();
            if (expectedStart is { } start && start != session.Size)
            {
                throw new UploadException(UploadError.OutOfOrder, $"the chunk starts at {start}; the upload has {session.Size} bytes");
            }

            // Bytes are gathered into 1 MiB blocks, each hashed and written at its offset in one call: far fewer
            // calls than one per network segment, and no stream position to keep.
            using var file = File.OpenHandle(session.Path, FileMode.Open, FileAccess.Write, FileShare.Read);
            var block = ArrayPool<byte>.Shared.Rent(BufferSize);
            var filled = 0;
            var hash = session.Hash;
            try
            {
                while (true)
                {
                    ReadResult read;
                    try
                    {
                        read = await body.ReadAsync(cancellationToken);
                    }
                    catch (IOException ex)
                    {
                        throw new BodyReadException(ex);
                    }

                    foreach (var segment in read.Buffer)
                    {
                        var rest = segment;
                        while (!rest.IsEmpty)
                        {
                            var take = Math.Min(rest.Length, BufferSize - filled);
                            rest.Span[..take].CopyTo(block.AsSpan(filled));
                            filled += take;
                            rest = rest[take..];
                            if (filled == BufferSize)
                            {
                                await WriteBlockAsync(file, session, hash, block, filled, cancellationToken);
                                filled = 0;
                            }
                        }
                    }

                    body.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted)
                    {
                        break;
                    }
                }

                await WriteBlockAsync(file, session, hash, block, filled, cancellationToken);
                session.LastUsed = _time.GetUtcNow();
            }
            catch
            {
                // A broken chunk leaves the hash and the size behind the file: rebuild both from what is on disk.
                file.Dispose();
                session.Rehash();
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(block);
            }

            return session.Size;
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private static async ValueTask WriteBlockAsync(Microsoft.Win32.SafeHandles.SafeFileHandle file, Session session, IncrementalHash hash, byte[] block, int count, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return;
        }

        hash.AppendData(block, 0, count);
        await RandomAccess.WriteAsync(file, block.AsMemory(0, count), session.Size, cancellationToken);
        if (OperatingSystem.IsLinux())
        {
            // Start writing this block back now, so the fsync at the end finds little left to do.
            _ = SyncFileRange(file, session.Size, count, SyncFileRangeWrite);
        }

        session.Size += count;
    }

    private const uint SyncFileRangeWrite = 2;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, long count, uint flags);

    /// <summary>Appends a whole chunk given in memory (ECR's UploadLayerPart).</summary>
    public async Task<long> AppendAsync(string repository, string id, ReadOnlyMemory<byte> chunk, long? expectedStart, CancellationToken cancellationToken)
    {
        var pipe = PipeReader.Create(new ReadOnlySequence<byte>(chunk));
        return await AppendAsync(repository, id, pipe, expectedStart, cancellationToken);
    }

    /// <summary>
    /// Finishes an upload as <paramref name="digest"/>: checks the content hashes to it, makes the file durable and
    /// moves it into the blob store. Returns the blob's size.
    /// </summary>
    public async Task<long> FinishAsync(string repository, string id, string? digest, CancellationToken cancellationToken)
    {
        if (!Digest.IsValid(digest))
        {
            throw new UploadException(UploadError.DigestInvalid, "provided digest did not match uploaded content");
        }

        var session = Find(repository, id) ?? throw new UploadException(UploadError.Unknown, "blob upload unknown to registry");
        await session.Gate.WaitAsync(cancellationToken);
        try
        {
            if (session.Closed || !Refresh(session))
            {
                throw new UploadException(UploadError.Unknown, "blob upload unknown to registry");
            }

            var actual = Digest.FromHash(session.Hash.GetCurrentHash());
            if (actual != digest)
            {
                throw new UploadException(UploadError.DigestMismatch, "provided digest did not match uploaded content");
            }

            using (var handle = File.OpenHandle(session.Path, FileMode.Open, FileAccess.ReadWrite))
            {
                RandomAccess.FlushToDisk(handle);
            }

            _blobs.Commit(session.Path, digest);
            session.Closed = true;
            _sessions.TryRemove(id, out _);
            session.Hash.Dispose();
            return session.Size;
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>Cancels an upload once no other step holds it; false when there was none (or it closed meanwhile).</summary>
    public async Task<bool> CancelAsync(string repository, string id, CancellationToken cancellationToken = default)
    {
        var session = Find(repository, id);
        if (session is null)
        {
            return false;
        }

        await session.Gate.WaitAsync(cancellationToken);
        try
        {
            if (session.Closed || !Refresh(session))
            {
                return false;
            }

            Close(session);
            return true;
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>
    /// Removes uploads nobody used for <paramref name="idle"/> (abandoned pushes), and files of uploads from before a
    /// restart that old. An upload a step holds right now is in use, not abandoned. Returns how many were removed.
    /// </summary>
    public int RemoveAbandoned(TimeSpan idle)
    {
        var now = _time.GetUtcNow();
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(_directory))
        {
            var id = Path.GetFileName(file);
            if (_sessions.TryGetValue(id, out var session))
            {
                // Used here lately, or written lately through another server sharing the directory.
                if (now - session.LastUsed <= idle || now.UtcDateTime - File.GetLastWriteTimeUtc(file) <= idle || !session.Gate.Wait(0))
                {
                    continue;
                }

                try
                {
                    if (!session.Closed)
                    {
                        Close(session);
                        removed++;
                    }
                }
                finally
                {
                    session.Gate.Release();
                }
            }
            else if (now.UtcDateTime - File.GetLastWriteTimeUtc(file) > idle)
            {
                File.Delete(file);
                removed++;
            }
        }

        return removed;
    }

    // Catches a session up with its file, which another server sharing the blob directory may have moved on: appended
    // to (the file is longer than the bytes counted here: hashed again from the file) or finished or cancelled (the
    // file is gone: the session closes). False when it closed. Called holding the session's gate.
    private bool Refresh(Session session)
    {
        var file = new FileInfo(session.Path);
        if (!file.Exists)
        {
            session.Closed = true;
            _sessions.TryRemove(session.Id, out _);
            session.Hash.Dispose();
            return false;
        }

        if (file.Length != session.Size)
        {
            session.Rehash();
        }

        return true;
    }

    private void Close(Session session)
    {
        session.Closed = true;
        _sessions.TryRemove(session.Id, out _);
        File.Delete(session.Path);
        session.Hash.Dispose();
    }

    private Session? Find(string? repository, string id)
    {
        if (!Guid.TryParse(id, out _))
        {
            return null;
        }

        if (!_sessions.TryGetValue(id, out var session))
        {
            // After a restart the upload's bytes are still on disk; only the running hash is gone. The repository is
            // not kept beside the file, so the first caller's name is trusted for an upload found this way.
            var path = Path.Combine(_directory, id);
            if (repository is null || !File.Exists(path))
            {
                return null;
            }

            session = _sessions.GetOrAdd(id, _ =>
            {
                var recovered = new Session(id, repository, path) { LastUsed = _time.GetUtcNow() };
                recovered.Rehash();
                return recovered;
            });
        }

        return repository is null || session.Repository == repository ? session : null;
    }

    private sealed class Session(string id, string repository, string path)
    {
        public string Id { get; } = id;

        public string Repository { get; } = repository;

        public string Path { get; } = path;

        public long Size { get; set; }

        public bool Closed { get; set; }

        public DateTimeOffset LastUsed { get; set; }

        public IncrementalHash Hash { get; private set; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public void Rehash()
        {
            Hash.Dispose();
            Hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var file = File.OpenRead(Path);
            var buffer = new byte[BufferSize];
            long size = 0;
            int read;
            while ((read = file.Read(buffer)) > 0)
            {
                Hash.AppendData(buffer.AsSpan(0, read));
                size += read;
            }

            Size = size;
        }
    }
}
