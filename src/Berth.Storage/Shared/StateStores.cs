using Berth.Storage.Commit;
using Berth.Storage.Documents;
using Berth.Storage.Postgres;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging;

namespace Berth.Storage.Shared;

/// <summary>A component's state: its single writer and the store under it, closed together (writer drained first).</summary>
public sealed class StatePipeline<TState>(CommitPipeline<TState> pipeline, IDocumentStore store) : IAsyncDisposable where TState : class
{
    /// <summary>The writer; <c>Current</c> is the newest durable snapshot.</summary>
    public CommitPipeline<TState> Pipeline { get; } = pipeline;

    /// <summary>Drains the writer (every acknowledged write is durable), then closes the store.</summary>
    public async ValueTask DisposeAsync()
    {
        await Pipeline.DisposeAsync();
        await store.DisposeAsync();
    }
}

/// <summary>
/// Where every component keeps its state: a SQLite file each in the data dir (one server), or a namespace each in one
/// PostgreSQL database (several servers).
/// </summary>
public abstract class StateStores
{
    /// <summary>
    /// Opens one component's state: <paramref name="fileName"/> in the data dir on SQLite, namespace
    /// <paramref name="ns"/> on PostgreSQL. <paramref name="apply"/> moves the state by another server's commit; without
    /// it the state is loaded again from its documents (fine for small states).
    /// </summary>
    public abstract Task<StatePipeline<TState>> OpenAsync<TState>(
        string fileName, string ns, Func<IReadOnlyList<StoredDocument>, TState> load, Func<TState, IReadOnlyList<Mutation>, TState>? apply, ILogger logger, CancellationToken cancellationToken)
        where TState : class;

    /// <summary>SQLite files in <paramref name="dataDir"/>.</summary>
    public static StateStores Sqlite(string dataDir) => new SqliteStores(dataDir);

    /// <summary>Namespaces of <paramref name="database"/>, each kept current by its change feed.</summary>
    public static StateStores Postgres(PostgresDatabase database) => new PostgresStores(database);

    private sealed class SqliteStores(string dataDir) : StateStores
    {
        public override async Task<StatePipeline<TState>> OpenAsync<TState>(
            string fileName, string ns, Func<IReadOnlyList<StoredDocument>, TState> load, Func<TState, IReadOnlyList<Mutation>, TState>? apply, ILogger logger, CancellationToken cancellationToken)
        {
            var store = await SqliteDocumentStore.OpenAsync(Path.Combine(dataDir, fileName), cancellationToken);
            try
            {
                return new StatePipeline<TState>(new CommitPipeline<TState>(store, load(await store.LoadAllAsync(cancellationToken)), logger), store);
            }
            catch
            {
                await store.DisposeAsync();
                throw;
            }
        }
    }

    private sealed class PostgresStores(PostgresDatabase database) : StateStores
    {
        public override async Task<StatePipeline<TState>> OpenAsync<TState>(
            string fileName, string ns, Func<IReadOnlyList<StoredDocument>, TState> load, Func<TState, IReadOnlyList<Mutation>, TState>? apply, ILogger logger, CancellationToken cancellationToken)
        {
            var store = await database.StoreAsync(ns, cancellationToken);
            var replication = apply is null ? Replication<TState>.Reloading(load) : Replication<TState>.Incremental(load, apply);
            var pipeline = await CommitPipeline<TState>.OpenSharedAsync(store, replication, logger, cancellationToken);
            database.Subscribe(ns, pipeline.Poke);
            return new StatePipeline<TState>(pipeline, store);
        }
    }
}
