using Berth.Storage.Commit;
using Berth.Storage.Postgres;

namespace Berth.Storage.Shared;

/// <summary>
/// Read-your-writes across servers: before a request is served, every component's state is brought up to the revision
/// the database had when the request arrived, so a read that follows a write answered by another server sees it.
/// One query (the heads of every namespace) when nothing changed; a catch-up of the components that are behind otherwise.
/// </summary>
public sealed class ReadBarrier(PostgresDatabase database)
{
    private readonly List<(string Ns, Func<long> Revision, Func<Task> Sync)> _components = [];

    /// <summary>Adds a component (call before the first request).</summary>
    public void Add<TState>(string ns, CommitPipeline<TState> pipeline) where TState : class
        => _components.Add((ns, () => pipeline.Revision, pipeline.SyncAsync));

    /// <summary>Returns once every component holds what the database held when this was called.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var heads = await database.HeadsAsync(cancellationToken);
        List<Task>? behind = null;
        foreach (var (ns, revision, sync) in _components)
        {
            if (heads.TryGetValue(ns, out var head) && head > revision())
            {
                (behind ??= []).Add(sync());
            }
        }

        if (behind is not null)
        {
            await Task.WhenAll(behind).WaitAsync(cancellationToken);
        }
    }
}
