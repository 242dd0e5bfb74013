using Berth.Elb.State;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging;

namespace Berth.Elb;

/// <summary>
/// The load balancing state with its own durable file (<c>elb.db</c>) and single writer, apart from the ECS state
/// so neither waits behind the other's writes. The data plane reads <see cref="Pipeline"/>'s <c>Current</c> and
/// subscribes to its <c>Committed</c> event.
/// </summary>
public sealed class ElbControlPlane : IAsyncDisposable
{
    private readonly SqliteDocumentStore _store;

    private ElbControlPlane(SqliteDocumentStore store, ElbState initial, ILogger logger)
    {
        _store = store;
        Pipeline = new CommitPipeline<ElbState>(store, initial, logger);
    }

    /// <summary>The state's single writer; <c>Current</c> is the newest durable snapshot.</summary>
    public CommitPipeline<ElbState> Pipeline { get; }

    /// <summary>Opens (or creates) <c>DATA_DIR/elb.db</c> and loads the state.</summary>
    public static async Task<ElbControlPlane> OpenAsync(string dataDir, ILogger logger, CancellationToken cancellationToken = default)
    {
        var store = await SqliteDocumentStore.OpenAsync(Path.Combine(dataDir, ElbCodec.FileName), cancellationToken);
        try
        {
            return new ElbControlPlane(store, ElbCodec.Load(await store.LoadAllAsync(cancellationToken)), logger);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Drains the writer (every acknowledged write is durable), then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        await Pipeline.DisposeAsync();
        await _store.DisposeAsync();
    }
}
