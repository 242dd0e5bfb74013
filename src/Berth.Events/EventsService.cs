using Berth.Events.State;
using Berth.Storage.Commit;
using Berth.Storage.Shared;
using Microsoft.Extensions.Logging;

namespace Berth.Events;

/// <summary>EventBridge's state: its own commit pipeline over <c>events.db</c>, apart from the ECS state's writer.</summary>
public sealed class EventsService : IAsyncDisposable
{
    /// <summary>The database file inside the data dir.</summary>
    public const string FileName = "events.db";

    private readonly StatePipeline<EventsState> _state;

    private EventsService(StatePipeline<EventsState> state) => _state = state;

    /// <summary>The single writer of the EventBridge state.</summary>
    public CommitPipeline<EventsState> Pipeline => _state.Pipeline;

    /// <summary>Opens (or creates) <c>events.db</c> in <paramref name="dataDir"/> and loads the state.</summary>
    public static Task<EventsService> OpenAsync(string dataDir, ILogger logger, CancellationToken cancellationToken = default)
        => OpenAsync(StateStores.Sqlite(dataDir), logger, cancellationToken);

    /// <summary>Opens the state in <paramref name="stores"/> (its SQLite file, or its namespace of a shared database).</summary>
    public static async Task<EventsService> OpenAsync(StateStores stores, ILogger logger, CancellationToken cancellationToken = default)
        => new(await stores.OpenAsync(FileName, "events", EventsCodec.Load, null, logger, cancellationToken));

    /// <summary>Drains the writer, then closes the file.</summary>
    public ValueTask DisposeAsync() => _state.DisposeAsync();
}
