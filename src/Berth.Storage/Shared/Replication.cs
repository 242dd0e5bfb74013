using Berth.Storage.Documents;

namespace Berth.Storage.Shared;

/// <summary>
/// How a state follows a shared store's journal: built from a snapshot at start (or after the journal was pruned past
/// it), then moved forward by the commits other servers made. Called only from the pipeline's writer loop.
/// </summary>
/// <typeparam name="TState">The immutable state the pipeline keeps.</typeparam>
public abstract class Replication<TState>
{
    /// <summary>The state of a whole snapshot.</summary>
    public abstract TState Load(IReadOnlyList<StoredDocument> documents);

    /// <summary>The state after another server's commit.</summary>
    public abstract TState Apply(TState state, IReadOnlyList<Mutation> mutations);

    /// <summary>This server's own commit, whose state the pipeline has already: for replications that keep documents.</summary>
    public virtual void Committed(IReadOnlyList<Mutation> mutations)
    {
    }

    /// <summary>A replication that applies each document to the state as it comes.</summary>
    public static Replication<TState> Incremental(Func<IReadOnlyList<StoredDocument>, TState> load, Func<TState, IReadOnlyList<Mutation>, TState> apply)
        => new IncrementalReplication(load, apply);

    /// <summary>
    /// A replication that keeps every document and loads the state again after another server's commit: for small
    /// states (a few thousand documents) whose codec has no incremental form.
    /// </summary>
    public static Replication<TState> Reloading(Func<IReadOnlyList<StoredDocument>, TState> load) => new ReloadingReplication(load);

    private sealed class IncrementalReplication(Func<IReadOnlyList<StoredDocument>, TState> load, Func<TState, IReadOnlyList<Mutation>, TState> apply) : Replication<TState>
    {
        public override TState Load(IReadOnlyList<StoredDocument> documents) => load(documents);

        public override TState Apply(TState state, IReadOnlyList<Mutation> mutations) => apply(state, mutations);
    }

    private sealed class ReloadingReplication(Func<IReadOnlyList<StoredDocument>, TState> load) : Replication<TState>
    {
        private readonly Dictionary<(string Kind, string Id), byte[]> _documents = [];

        public override TState Load(IReadOnlyList<StoredDocument> documents)
        {
            _documents.Clear();
            foreach (var document in documents)
            {
                _documents[(document.Kind, document.Id)] = document.Body;
            }

            return load(documents);
        }

        public override TState Apply(TState state, IReadOnlyList<Mutation> mutations)
        {
            Committed(mutations);
            return load([.. _documents.OrderBy(d => d.Key.Kind, StringComparer.Ordinal).ThenBy(d => d.Key.Id, StringComparer.Ordinal).Select(d => new StoredDocument(d.Key.Kind, d.Key.Id, d.Value))]);
        }

        public override void Committed(IReadOnlyList<Mutation> mutations)
        {
            foreach (var mutation in mutations)
            {
                if (mutation.Body is { } body)
                {
                    _documents[(mutation.Kind, mutation.Id)] = body;
                }
                else
                {
                    _documents.Remove((mutation.Kind, mutation.Id));
                }
            }
        }
    }
}
