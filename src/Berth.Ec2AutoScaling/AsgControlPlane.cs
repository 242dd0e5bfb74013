using Berth.Ec2AutoScaling.State;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging;

namespace Berth.Ec2AutoScaling;

/// <summary>
/// The EC2 Auto Scaling state with its own durable file (<c>autoscaling.db</c>) and single writer, apart from the ECS state
/// so neither waits behind the other's writes. The provisioner and ECS managed scaling read <see cref="Pipeline"/>'s <c>Current</c>
/// and follow its <c>Committed</c> event.
/// </summary>
public sealed class AsgControlPlane : IAsyncDisposable
{
    private readonly SqliteDocumentStore _store;

    private AsgControlPlane(SqliteDocumentStore store, AsgState initial, ILogger logger)
    {
        _store = store;
        Pipeline = new CommitPipeline<AsgState>(store, initial, logger);
    }

    /// <summary>The state's single writer; <c>Current</c> is the newest durable snapshot.</summary>
    public CommitPipeline<AsgState> Pipeline { get; }

    /// <summary>Opens (or creates) <c>DATA_DIR/autoscaling.db</c> and loads the state.</summary>
    public static async Task<AsgControlPlane> OpenAsync(string dataDir, ILogger logger, CancellationToken cancellationToken = default)
    {
        var store = await SqliteDocumentStore.OpenAsync(Path.Combine(dataDir, AsgCodec.FileName), cancellationToken);
        try
        {
            return new AsgControlPlane(store, AsgCodec.Load(await store.LoadAllAsync(cancellationToken)), logger);
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
