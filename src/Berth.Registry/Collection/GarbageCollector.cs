using Berth.Registry.Blobs;
using Berth.Registry.State;

namespace Berth.Registry.Collection;

/// <summary>
/// Removes blobs no manifest references. A blob is removed only when it is unreferenced in the newest committed state,
/// no manifest push holds it (<see cref="Protect"/>), and either a delete orphaned it after anyone last used it, or
/// nobody wrote or used it for the grace period — so a layer pushed just before its manifest is never taken.
/// </summary>
public sealed class GarbageCollector(BlobStore blobs, Func<RegistryState> current, TimeProvider time)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _protected = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _touched = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _orphaned = new(StringComparer.Ordinal);

    /// <summary>How long an unreferenced blob nobody orphaned explicitly is kept (an upload whose manifest is still coming).</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Records that a client used a blob (HEAD, upload, mount): it must outlive whatever delete came before.</summary>
    public void Touch(string digest)
    {
        lock (_gate)
        {
            _touched[digest] = time.GetUtcNow();
        }
    }

    /// <summary>Holds <paramref name="digests"/> until the returned handle is disposed (a manifest push between its check and its commit).</summary>
    public IDisposable Protect(IReadOnlyCollection<string> digests)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            foreach (var digest in digests)
            {
                _protected[digest] = _protected.GetValueOrDefault(digest) + 1;
                _touched[digest] = now;
            }
        }

        return new Release(this, digests);
    }

    /// <summary>Marks the blobs of deleted images as candidates for the next collection.</summary>
    public void Orphaned(IEnumerable<ImageRecord> images)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            foreach (var image in images)
            {
                _orphaned[image.Digest] = now;
                foreach (var blob in image.Blobs)
                {
                    _orphaned[blob] = now;
                }
            }
        }
    }

    /// <summary>Runs one collection; returns the digests removed.</summary>
    public List<string> Collect()
    {
        var removed = new List<string>();
        var now = time.GetUtcNow();
        lock (_gate)
        {
            // Read after taking the gate: a push that committed has already released its protection, so its
            // manifest is in this state; a push that has not yet committed still holds it.
            var referenced = current().ReferencedDigests();
            foreach (var (digest, written) in blobs.Enumerate())
            {
                if (referenced.Contains(digest) || _protected.ContainsKey(digest))
                {
                    continue;
                }

                var touched = _touched.GetValueOrDefault(digest, DateTimeOffset.MinValue);
                var orphanedAfterUse = _orphaned.TryGetValue(digest, out var orphanedAt) && orphanedAt >= touched;
                var idle = now - new DateTimeOffset(written, TimeSpan.Zero) > Grace && now - touched > Grace;
                if ((orphanedAfterUse || idle) && blobs.Delete(digest))
                {
                    removed.Add(digest);
                }
            }

            // Every candidate was decided on; one deleted again later is marked again then.
            _orphaned.Clear();

            foreach (var digest in _touched.Where(t => now - t.Value > Grace).Select(t => t.Key).ToList())
            {
                _touched.Remove(digest);
            }
        }

        return removed;
    }

    private void Unprotect(IReadOnlyCollection<string> digests)
    {
        lock (_gate)
        {
            foreach (var digest in digests)
            {
                if (_protected.TryGetValue(digest, out var count) && count > 1)
                {
                    _protected[digest] = count - 1;
                }
                else
                {
                    _protected.Remove(digest);
                }
            }
        }
    }

    private sealed class Release(GarbageCollector owner, IReadOnlyCollection<string> digests) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                owner.Unprotect(digests);
            }
        }
    }
}
