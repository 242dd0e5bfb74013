namespace Berth.Storage.Documents;

/// <summary>One stored document: a kind (table-like namespace), an id unique within it, and its JSON body.</summary>
public sealed record StoredDocument(string Kind, string Id, byte[] Body);

/// <summary>A change to one document; a null <see cref="Body"/> deletes it.</summary>
public sealed record Mutation(string Kind, string Id, byte[]? Body)
{
    /// <summary>Puts (inserts or replaces) a document.</summary>
    public static Mutation Put(string kind, string id, byte[] body) => new(kind, id, body);

    /// <summary>Deletes a document; deleting a missing one is not an error.</summary>
    public static Mutation Delete(string kind, string id) => new(kind, id, null);
}

/// <summary>
/// The durable store under the control plane. Every commit is atomic and durable when it returns:
/// after a crash either all of its mutations are there or none is.
/// </summary>
/// <remarks>
/// The control plane keeps its working state in memory and uses the store as its journal, so the
/// interface is deliberately small: load everything at start, commit batches of mutations.
/// </remarks>
public interface IDocumentStore : IAsyncDisposable
{
    /// <summary>Reads every stored document (used once, at start).</summary>
    Task<IReadOnlyList<StoredDocument>> LoadAllAsync(CancellationToken cancellationToken);

    /// <summary>Applies all mutations in one transaction and returns once it is durable.</summary>
    Task CommitAsync(IReadOnlyList<Mutation> mutations, CancellationToken cancellationToken);
}
