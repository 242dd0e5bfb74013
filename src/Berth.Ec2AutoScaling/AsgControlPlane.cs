using Berth.Ec2AutoScaling.State;
using Berth.Storage.Commit;
using Berth.Storage.Shared;
using Microsoft.Extensions.Logging;

namespace Berth.Ec2AutoScaling;

/// <summary>
/// The EC2 Auto Scaling state with its own durable file (<c>autoscaling.db</c>) and single writer, apart from the ECS state
/// so neither waits behind the other's writes. The provisioner and ECS managed scaling read <see cref="Pipeline"/>'s <c>Current</c>
/// and follow its <c>Committed</c> event.
/// </summary>
public sealed class AsgControlPlane : IAsyncDisposable
{
    private readonly StatePipeline<AsgState> _state;

    private AsgControlPlane(StatePipeline<AsgState> state) => _state = state;

    /// <summary>The state's single writer; <c>Current</c> is the newest durable snapshot.</summary>
    public CommitPipeline<AsgState> Pipeline => _state.Pipeline;

    /// <summary>Opens (or creates) <c>DATA_DIR/autoscaling.db</c> and loads the state.</summary>
    public static Task<AsgControlPlane> OpenAsync(string dataDir, ILogger logger, CancellationToken cancellationToken = default)
        => OpenAsync(StateStores.Sqlite(dataDir), logger, cancellationToken);

    /// <summary>Opens the state in <paramref name="stores"/> (its SQLite file, or its namespace of a shared database).</summary>
    public static async Task<AsgControlPlane> OpenAsync(StateStores stores, ILogger logger, CancellationToken cancellationToken = default)
        => new(await stores.OpenAsync(AsgCodec.FileName, "autoscaling", AsgCodec.Load, null, logger, cancellationToken));

    /// <summary>Drains the writer (every acknowledged write is durable), then closes the file.</summary>
    public ValueTask DisposeAsync() => _state.DisposeAsync();
}
