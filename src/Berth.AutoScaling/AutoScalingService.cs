using Berth.AutoScaling.State;
using Berth.Storage.Commit;
using Berth.Storage.Shared;
using Microsoft.Extensions.Logging;

namespace Berth.AutoScaling;

/// <summary>Application Auto Scaling's state: its own commit pipeline over <c>application-autoscaling.db</c>, apart from the ECS state's writer.</summary>
public sealed class AutoScalingService : IAsyncDisposable
{
    /// <summary>The database file inside the data dir.</summary>
    public const string FileName = "application-autoscaling.db";

    private readonly StatePipeline<AutoScalingState> _state;

    private AutoScalingService(StatePipeline<AutoScalingState> state) => _state = state;

    /// <summary>The single writer of the state.</summary>
    public CommitPipeline<AutoScalingState> Pipeline => _state.Pipeline;

    /// <summary>Opens (or creates) <c>application-autoscaling.db</c> in <paramref name="dataDir"/> and loads the state.</summary>
    public static Task<AutoScalingService> OpenAsync(string dataDir, ILogger logger, CancellationToken cancellationToken = default)
        => OpenAsync(StateStores.Sqlite(dataDir), logger, cancellationToken);

    /// <summary>Opens the state in <paramref name="stores"/> (its SQLite file, or its namespace of a shared database).</summary>
    public static async Task<AutoScalingService> OpenAsync(StateStores stores, ILogger logger, CancellationToken cancellationToken = default)
        => new(await stores.OpenAsync(FileName, "application-autoscaling", AutoScalingCodec.Load, null, logger, cancellationToken));

    /// <summary>Drains the writer, then closes the file.</summary>
    public ValueTask DisposeAsync() => _state.DisposeAsync();
}
