using Berth.AutoScaling.State;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging;

namespace Berth.AutoScaling;

/// <summary>Application Auto Scaling's state: its own commit pipeline over <c>application-autoscaling.db</c>, apart from the ECS state's writer.</summary>
public sealed class AutoScalingService : IAsyncDisposable
{
    /// <summary>The database file inside the data dir.</summary>
    public const string FileName = "application-autoscaling.db";

    private readonly SqliteDocumentStore _store;

    private AutoScalingService(SqliteDocumentStore store, AutoScalingState initial, ILogger logger)
    {
        _store = store;
        Pipeline = new CommitPipeline<AutoScalingState>(store, initial, logger);
    }

    /// <summary>The single writer of the state.</summary>
    public CommitPipeline<AutoScalingState> Pipeline { get; }

    /// <summary>Opens (or creates) <c>application-autoscaling.db</c> in <paramref name="dataDir"/> and loads the state.</summary>
    public static async Task<AutoScalingService> OpenAsync(string dataDir, ILogger logger, CancellationToken cancellationToken = default)
    {
        var store = await SqliteDocumentStore.OpenAsync(Path.Combine(dataDir, FileName), cancellationToken);
        var state = AutoScalingCodec.Load(await store.LoadAllAsync(cancellationToken));
        return new AutoScalingService(store, state, logger);
    }

    /// <summary>Drains the writer, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        await Pipeline.DisposeAsync();
        await _store.DisposeAsync();
    }
}
