using Berth.Protocol.Errors;
using Berth.Registry.Auth;
using Berth.Registry.Blobs;
using Berth.Registry.Collection;
using Berth.Registry.Ecr;
using Berth.Registry.Manifests;
using Berth.Registry.State;
using Berth.Registry.Uploads;
using Berth.Storage.Commit;
using Berth.Storage.Shared;
using Microsoft.Extensions.Logging;

namespace Berth.Registry;

/// <summary>Blobs a manifest names that the registry does not have.</summary>
public sealed class MissingBlobsException(IReadOnlyList<string> digests) : Exception("manifest references unknown blobs: " + string.Join(", ", digests))
{
    /// <summary>The digests missing.</summary>
    public IReadOnlyList<string> Digests { get; } = digests;
}

/// <summary>How the registry runs.</summary>
public sealed record RegistryOptions
{
    /// <summary>The server's data dir; the registry keeps <c>registry.db</c> and <c>registry/</c> in it.</summary>
    public required string DataDir { get; init; }

    /// <summary>Where blobs are kept: <c>DATA_DIR/registry</c> unless set (several servers: one directory they all mount).</summary>
    public string? BlobDir { get; init; }

    /// <summary>
    /// Whether this server runs the registry's background maintenance (lifecycle policies, garbage collection): with
    /// several servers, only the one leading the controllers (checked before each round). Always when null.
    /// </summary>
    public Func<bool>? Maintains { get; init; }

    /// <summary>The account id: the registry id of every repository.</summary>
    public required string AccountId { get; init; }

    /// <summary><c>HOST:PORT</c> of this server as clients reach it: the first part of every repositoryUri.</summary>
    public required string Host { get; init; }

    /// <summary>The key that signs registry passwords.</summary>
    public required byte[] TokenKey { get; init; }

    /// <summary>How often lifecycle policies are applied and unreferenced blobs collected in the background.</summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an unreferenced blob nobody deleted explicitly is kept.</summary>
    public TimeSpan GcGrace { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long a layer upload nobody uses stays before it is removed (<c>--registry-upload-expiry</c>).</summary>
    public TimeSpan UploadExpiry { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How many layer uploads one repository may have in flight (<c>--registry-max-uploads</c>).</summary>
    public int MaxUploadsPerRepository { get; init; } = 100;
}

/// <summary>
/// The registry: metadata (its own commit pipeline over <c>registry.db</c>), blobs, uploads, garbage collection and
/// tokens, with the operations both the distribution API and ECR's API share.
/// </summary>
public sealed partial class RegistryService : IAsyncDisposable
{
    /// <summary>The largest manifest accepted.</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    private readonly StatePipeline<RegistryState> _state;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _collecting = new(1, 1);
    private Task _maintenance = Task.CompletedTask;
    private Task _uploadSweep = Task.CompletedTask;

    private RegistryService(RegistryOptions options, StatePipeline<RegistryState> state, TimeProvider time, ILogger logger)
    {
        Options = options;
        Time = time;
        _state = state;
        _logger = logger;
        Blobs = new BlobStore(options.BlobDir ?? Path.Combine(options.DataDir, "registry"));
        Uploads = new UploadStore(Blobs, time) { MaxPerRepository = options.MaxUploadsPerRepository };
        Gc = new GarbageCollector(Blobs, () => Pipeline.Current, time) { Grace = options.GcGrace };
        Tokens = new RegistryTokens(options.TokenKey, time);
    }

    /// <summary>The options it runs with.</summary>
    public RegistryOptions Options { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>The metadata's single writer.</summary>
    public CommitPipeline<RegistryState> Pipeline => _state.Pipeline;

    /// <summary>The blob store.</summary>
    public BlobStore Blobs { get; }

    /// <summary>Uploads in progress.</summary>
    public UploadStore Uploads { get; }

    /// <summary>The garbage collector.</summary>
    public GarbageCollector Gc { get; }

    /// <summary>Registry passwords.</summary>
    public RegistryTokens Tokens { get; }

    /// <summary>The account id (every repository's registry id).</summary>
    public string AccountId => Options.AccountId;

    /// <summary>Opens the metadata store and starts the background maintenance.</summary>
    public static Task<RegistryService> OpenAsync(RegistryOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken = default)
        => OpenAsync(StateStores.Sqlite(options.DataDir), options, time, logger, cancellationToken);

    /// <summary>Opens the metadata in <paramref name="stores"/> (<c>registry.db</c>, or the shared database) and starts the background maintenance.</summary>
    public static async Task<RegistryService> OpenAsync(StateStores stores, RegistryOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken = default)
    {
        var state = await stores.OpenAsync("registry.db", "registry", RegistryCodec.Load, null, logger, cancellationToken);
        var service = new RegistryService(options, state, time, logger);
        service._maintenance = Task.Run(service.MaintainAsync, CancellationToken.None);
        service._uploadSweep = Task.Run(service.SweepUploadsAsync, CancellationToken.None);
        return service;
    }

    /// <summary>
    /// Pushes a manifest: parses it, checks its digest and that every blob it names is stored, stores its bytes, then
    /// commits it (under <paramref name="tag"/> if given). Answered only once the commit is durable.
    /// </summary>
    public async Task<ImageRecord> PushManifestAsync(string repository, string? tag, string? expectedDigest, byte[] content, string? contentType, bool refuseExisting, CancellationToken cancellationToken)
    {
        var info = ManifestParser.Parse(content, contentType);
        var digest = Digest.Of(content);
        if (expectedDigest is not null && expectedDigest != digest)
        {
            throw EcrErrors.DigestDoesNotMatch(expectedDigest, digest);
        }

        var blobs = info.Blobs.Select(b => b.Digest).Distinct(StringComparer.Ordinal).ToList();
        using (Gc.Protect([.. blobs, digest]))
        {
            var missing = blobs.Where(b => !Blobs.Exists(b)).ToList();
            if (missing.Count > 0)
            {
                throw new MissingBlobsException(missing);
            }

            Blobs.Put(content);
            var image = new ImageRecord
            {
                Digest = digest,
                MediaType = info.MediaType,
                ManifestSize = content.Length,
                ImageSize = info.LayersSize,
                PushedAt = Time.GetUtcNow(),
                Blobs = [.. blobs],
                Children = [.. info.Manifests.Select(m => m.Digest).Distinct(StringComparer.Ordinal)],
                Subject = info.Subject?.Digest,
                ArtifactType = info.ArtifactType,
                Annotations = info.Annotations is null ? null : System.Collections.Immutable.ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, info.Annotations),
            };
            var result = await Pipeline.ExecuteAsync(s => ImageDecisions.Put(s, AccountId, repository, image, tag, refuseExisting, Time.GetUtcNow()));
            cancellationToken.ThrowIfCancellationRequested();
            Removed(result.Expired);
            return result.Image;
        }
    }

    /// <summary>Called with images that are gone (deleted or expired): their blobs become candidates and a collection runs.</summary>
    public void Removed(IReadOnlyCollection<ImageRecord> images)
    {
        if (images.Count == 0)
        {
            return;
        }

        Gc.Orphaned(images);
        _ = Task.Run(CollectAsync);
    }

    /// <summary>Runs one garbage collection now (one at a time); returns how many blobs it removed.</summary>
    public async Task<int> CollectAsync()
    {
        await _collecting.WaitAsync();
        try
        {
            var removed = Gc.Collect();
            if (removed.Count > 0)
            {
                LogCollected(_logger, removed.Count);
            }

            return removed.Count;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogMaintenanceFailed(_logger, ex);
            return 0;
        }
        finally
        {
            _collecting.Release();
        }
    }

    /// <summary>Applies every lifecycle policy now and collects what they expired.</summary>
    public async Task<int> ApplyLifecyclesAsync()
    {
        var expired = await Pipeline.ExecuteAsync(s => ImageDecisions.ApplyAllLifecycles(s, Time.GetUtcNow()));
        if (expired.Count > 0)
        {
            Gc.Orphaned(expired);
            await CollectAsync();
        }

        return expired.Count;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _maintenance;
        await _uploadSweep;
        await _state.DisposeAsync();
        _stopping.Dispose();
        _collecting.Dispose();
    }

    /// <summary>Maps registry failures that are not already AWS errors to ECR's.</summary>
    public static AwsException AsEcrError(Exception exception, string repository, string accountId) => exception switch
    {
        AwsException aws => aws,
        ManifestException manifest => EcrErrors.InvalidParameter("imageManifest", manifest.Message),
        MissingBlobsException missing => EcrErrors.LayersNotFound(missing.Digests, repository, accountId),
        _ => throw exception,
    };

    private async Task MaintainAsync()
    {
        using var timer = new PeriodicTimer(Options.MaintenanceInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                if (Options.Maintains?.Invoke() == false)
                {
                    continue;
                }

                try
                {
                    await ApplyLifecyclesAsync();
                    await CollectAsync();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogMaintenanceFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Abandoned uploads are looked for four times per expiry (at most every 5 minutes), so one goes within 1.25 expiries.
    private async Task SweepUploadsAsync()
    {
        var every = TimeSpan.FromTicks(Math.Clamp(Options.UploadExpiry.Ticks / 4, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerMinute * 5));
        using var timer = new PeriodicTimer(every, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    if (Uploads.RemoveAbandoned(Options.UploadExpiry) is > 0 and var removed)
                    {
                        LogUploadsExpired(_logger, removed);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    LogMaintenanceFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registry removed {Count} layer uploads nobody used within the upload expiry")]
    private static partial void LogUploadsExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registry garbage collection removed {Count} blobs")]
    private static partial void LogCollected(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registry maintenance failed")]
    private static partial void LogMaintenanceFailed(ILogger logger, Exception exception);
}
