using Berth.Events.State;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging;

namespace Berth.Events;

/// <summary>EventBridge's state: its own commit pipeline over <c>events.db</c>, apart from the ECS state's writer.</summary>
public sealed class EventsService : IAsyncDisposable
{
    /// <summary>The database file inside the data dir.</summary>
    public const string FileName = "events.db";

    private readonly SqliteDocumentStore _store;

    private EventsService(SqliteDocumentStore store, EventsState initial, ILogger logger)
    {
        _store = store;
        Pipeline = new CommitPipeline<EventsState>(store, initial, logger);
    }

    /// <summary>The single writer of the EventBridge state.</summary>
    public CommitPipeline<EventsState> Pipeline { get; }

    /// <summary>Opens (or creates) <c>events.db</c> in <paramref name="dataDir"/> and loads the state.</summary>
    public static async Task<EventsService> OpenAsync(string dataDir, ILogger logger, CancellationToken cancellationToken = default)
    {
        var store = await SqliteDocumentStore.OpenAsync(Path.Combine(dataDir, FileName), cancellationToken);
        var state = EventsCodec.Load(await store.LoadAllAsync(cancellationToken));
        return new EventsService(store, state, logger);
    }

    /// <summary>Drains the writer, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        await Pipeline.DisposeAsync();
        await _store.DisposeAsync();
    }
}
