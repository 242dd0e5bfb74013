namespace Berth.Storage.Documents;

/// <summary>Every document of one store as of <paramref name="Revision"/>: what a server loads at start.</summary>
public sealed record SharedSnapshot(long Revision, IReadOnlyList<StoredDocument> Documents);

/// <summary>One commit of the journal: its revision and what it changed.</summary>
public sealed record JournalEntry(long Revision, IReadOnlyList<Mutation> Mutations);

/// <summary>A controller group's leadership term, checked by every write a controller makes (a fencing token).</summary>
/// <param name="Group">The controller group (one lease each).</param>
/// <param name="Holder">The server that holds the lease.</param>
/// <param name="Term">The term the holder won; a later holder has a greater one.</param>
public sealed record Fence(string Group, string Holder, long Term);

/// <summary>Where a writer catches up from and commits to: the store itself, or a hold on its head.</summary>
public interface ISharedCommits
{
    /// <summary>
    /// The commits after <paramref name="revision"/>, oldest first (empty when none); null when the journal no longer
    /// holds the first of them (pruned), so the caller must load a snapshot instead.
    /// </summary>
    Task<IReadOnlyList<JournalEntry>?> ChangesSinceAsync(long revision, CancellationToken cancellationToken);

    /// <summary>
    /// Commits <paramref name="mutations"/> as revision <paramref name="link"/>'s <see cref="CommitLink.Expected"/> + 1
    /// and returns it once durable; throws <see cref="CommitConflictException"/> when another commit took that revision
    /// (or the commit it is chained on never took the one before), and <see cref="FencedException"/> when one of
    /// <paramref name="fences"/> is no longer the current term of its group. Either way nothing was written.
    /// </summary>
    Task<long> CommitAsync(CommitLink link, IReadOnlyList<Mutation> mutations, IReadOnlyCollection<Fence> fences, CancellationToken cancellationToken);
}

/// <summary>Where a commit goes in the journal, and its name there.</summary>
/// <param name="Expected">The revision the commit was decided on: it commits as the next one.</param>
/// <param name="After">
/// The <see cref="Id"/> of the commit that is to make <paramref name="Expected"/>, when that is a commit of the same
/// writer still in flight (null otherwise): once that one failed, another server's commit may hold the revision, and
/// this one, decided on what that one wrote, must be refused.
/// </param>
/// <param name="Id">This commit's name, for the one chained on it: random, so no two writers' commits share one.</param>
public readonly record struct CommitLink(long Expected, long? After, long Id)
{
    /// <summary>A commit on <paramref name="expected"/>, a revision already durable, with a new id.</summary>
    public static CommitLink On(long expected) => new(expected, null, NewId());

    /// <summary>A commit chained on <paramref name="previous"/>, which is still in flight, with a new id.</summary>
    public static CommitLink Following(CommitLink previous) => new(previous.Expected + 1, previous.Id, NewId());

    private static long NewId() => Random.Shared.NextInt64(long.MinValue, long.MaxValue);
}

/// <summary>Commits that follow a durable revision, without a chain.</summary>
public static class SharedCommits
{
    /// <summary>As <see cref="ISharedCommits.CommitAsync"/> on <paramref name="expectedRevision"/>, a durable revision.</summary>
    public static Task<long> CommitAsync(this ISharedCommits commits, long expectedRevision, IReadOnlyList<Mutation> mutations, IReadOnlyCollection<Fence> fences, CancellationToken cancellationToken)
        => commits.CommitAsync(CommitLink.On(expectedRevision), mutations, fences, cancellationToken);
}

/// <summary>
/// The store's head held by one writer (<see cref="ISharedDocumentStore.HoldHeadAsync"/>): no other writer commits
/// until this one has committed once through it or disposed it. Its changes are read under the hold, so a writer that
/// catches up, decides and commits through it cannot be refused for another server's commit.
/// </summary>
public interface IHeadHold : ISharedCommits, IAsyncDisposable;

/// <summary>
/// A document store several servers write at once (PostgreSQL). Its commits form one journal of gapless revisions;
/// every commit is conditional on the revision its writer decided on, so a writer whose view is stale is refused
/// (<see cref="CommitConflictException"/>), catches up from the journal and decides again.
/// </summary>
public interface ISharedDocumentStore : IDocumentStore, ISharedCommits
{
    /// <summary>Every document and the revision they are as of, read in one consistent snapshot.</summary>
    Task<SharedSnapshot> LoadSnapshotAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Takes the head (waiting for a commit in flight): what a writer that keeps losing the race to other servers
    /// does, so it cannot starve. The other writers' commits wait meanwhile and are refused after it commits.
    /// </summary>
    Task<IHeadHold> HoldHeadAsync(CancellationToken cancellationToken);
}

/// <summary>Another server committed first: the commit's revision is taken, nothing was written.</summary>
public sealed class CommitConflictException(long expectedRevision)
    : Exception($"Revision {expectedRevision + 1} was committed by another writer.")
{
    /// <summary>The revision the refused commit was decided on.</summary>
    public long ExpectedRevision { get; } = expectedRevision;
}

/// <summary>A controller's write after its leadership term ended: refused, nothing was written.</summary>
public sealed class FencedException(Fence fence)
    : Exception($"The leadership term {fence.Term} of '{fence.Group}' held by {fence.Holder} has ended.")
{
    /// <summary>The fence that no longer holds.</summary>
    public Fence Fence { get; } = fence;
}
