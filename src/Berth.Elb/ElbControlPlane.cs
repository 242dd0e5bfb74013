using Berth.Elb.State;
using Berth.Storage.Commit;
using Berth.Storage.Shared;
using Microsoft.Extensions.Logging;

namespace Berth.Elb;

/// <summary>
/// The load balancing state with its own durable file (<c>elb.db</c>) and single writer, apart from the ECS state
/// so neither waits behind the other's writes. The data plane reads <see cref="Pipeline"/>'s <c>Current</c> and
/// subscribes to its <c>Committed</c> event.
/// </summary>
public sealed class ElbControlPlane : IAsyncDisposable
{
    private readonly StatePipeline<ElbState> _state;

    private ElbControlPlane(StatePipeline<ElbState> state) => _state = state;

    /// <summary>The state's single writer; <c>Current</c> is the newest durable snapshot.</summary>
    public CommitPipeline<ElbState> Pipeline => _state.Pipeline;

    /// <summary>Opens (or creates) <c>DATA_DIR/elb.db</c> and loads the state.</summary>
    public static Task<ElbControlPlane> OpenAsync(string dataDir, ILogger logger, CancellationToken cancellationToken = default)
        => OpenAsync(StateStores.Sqlite(dataDir), logger, cancellationToken);

    /// <summary>Opens the state in <paramref name="stores"/> (its SQLite file, or its namespace of a shared database).</summary>
    public static async Task<ElbControlPlane> OpenAsync(StateStores stores, ILogger logger, CancellationToken cancellationToken = default)
        => new(await stores.OpenAsync(ElbCodec.FileName, "elb", ElbCodec.Load, null, logger, cancellationToken));

    /// <summary>Drains the writer (every acknowledged write is durable), then closes the file.</summary>
    public ValueTask DisposeAsync() => _state.DisposeAsync();
}
