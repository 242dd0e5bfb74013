using System.Threading.Channels;
using Berth.Storage.Documents;
using Berth.Storage.Shared;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Storage.Commit;

/// <summary>What a command decided: the next state, the mutations that make it durable, and its answer.</summary>
public readonly record struct Decision<TState, TResult>(TState State, IReadOnlyList<Mutation> Mutations, TResult Result);

/// <summary>
/// The single writer of the control plane's state. Commands are pure functions of the current
/// immutable state; they run one after another on one loop, and the mutations of every command
/// that is waiting are committed together (group commit). A command's caller is answered, and its
/// state published to readers, only after the commit is durable — so no reader ever sees state a
/// crash could take back, and no two commands ever decide on the same state.
/// </summary>
/// <remarks>
/// Nothing but the decisions and the store runs on the writer loop: <see cref="Committed"/> subscribers are called
/// from a delivery loop of their own, so a slow or failing subscriber can neither delay nor stop a write.
/// On a store several servers share (<see cref="OpenSharedAsync"/>) every commit is conditional on the revision it was
/// decided on; when another server committed meanwhile, the loop catches up and decides the same commands again (they
/// are pure functions of the state). There a commit is a round trip, so while one is in flight the next batch is
/// decided on the state it will make and sent chained on it: it goes in only after that one and only if that one did.
/// Nobody is answered, and no state published, before every commit it was decided on is durable.
/// </remarks>
/// <typeparam name="TState">An immutable snapshot of everything the control plane knows.</typeparam>
public sealed partial class CommitPipeline<TState> : IAsyncDisposable where TState : class
{
    private const int MaxBatch = 256;

    // Commits a writer on a shared store keeps in flight: the next batch is decided on the state the one in flight
    // will make and sent chained on it, so deciding, the round trip and the database's work overlap.
    private const int MaxInFlight = 2;

    // Commands waiting that are worth a commit of their own while one is in flight: fewer wait for it and go in the
    // next batch, so a stream of commands that is slow to come (each planned at length outside) does not become a
    // stream of small commits, each with its own cost to both sides.
    private const int MinChained = 4;

    // Commits refused because another server committed first, before the batch fails: each retry decides on a newer
    // state, so only a store that is never quiet gets this far.
    private const int MaxConflicts = 100;

    // Conflicts in a row after which the writer holds the store's head across its catch-up, decision and commit, so a
    // server that keeps losing to faster ones still commits (the others' commits wait for it).
    private readonly int _holdAfterConflicts = 3;
    private readonly IDocumentStore _store;
    private readonly ISharedDocumentStore? _shared;
    private readonly Replication<TState>? _replication;
    private readonly ILogger _logger;
    // Not SingleReader: that channel cannot count what waits, which the shared writer's chaining asks.
    private readonly Channel<IPending> _queue = Channel.CreateUnbounded<IPending>();
    private readonly Lock _subscribing = new();
    private readonly Task _loop;
    private Subscriber[] _subscribers = [];
    private bool _disposed;
    private TState _current;
    private long _revision;
    private long _sent;
    private long _conflicts;
    private long _heldCommits;
    private long _chainedCommits;

    /// <summary>Starts the writer loop over <paramref name="initial"/> (the state loaded from the store).</summary>
    /// <param name="store">Where batches are committed.</param>
    /// <param name="initial">The state loaded from <paramref name="store"/>.</param>
    /// <param name="logger">Where store failures and failing subscribers are logged (nowhere when null).</param>
    public CommitPipeline(IDocumentStore store, TState initial, ILogger? logger = null)
    {
        _store = store;
        _current = initial;
        _logger = logger ?? NullLogger.Instance;
        _loop = Task.Run(RunAsync);
    }

    private CommitPipeline(ISharedDocumentStore store, Replication<TState> replication, SharedSnapshot snapshot, ILogger? logger, int holdAfterConflicts)
    {
        _holdAfterConflicts = holdAfterConflicts;
        _store = store;
        _shared = store;
        _replication = replication;
        _current = replication.Load(snapshot.Documents);
        _revision = snapshot.Revision;
        _logger = logger ?? NullLogger.Instance;
        _loop = Task.Run(RunSharedGuardedAsync);
    }

    /// <summary>Loads the state from a store several servers share and starts the writer loop over it.</summary>
    /// <param name="store">The shared store.</param>
    /// <param name="replication">How the state is loaded from the store and moved on by other servers' commits.</param>
    /// <param name="logger">Where store failures and failing subscribers are logged (nowhere when null).</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <param name="holdAfterConflicts">Refused commits in a row after which a batch is decided and committed holding the store's head (0: always; tests).</param>
    public static async Task<CommitPipeline<TState>> OpenSharedAsync(
        ISharedDocumentStore store, Replication<TState> replication, ILogger? logger, CancellationToken cancellationToken, int holdAfterConflicts = 3)
        => new(store, replication, await store.LoadSnapshotAsync(cancellationToken), logger, holdAfterConflicts);

    /// <summary>Whether the store is shared with other servers (PostgreSQL).</summary>
    public bool IsShared => _shared is not null;

    /// <summary>Commits refused so far because another server committed first (each decided again): for diagnostics and benchmarks.</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);

    /// <summary>Commits made holding the store's head after conflicts in a row: for diagnostics and benchmarks.</summary>
    public long HeldCommits => Interlocked.Read(ref _heldCommits);

    /// <summary>Commits sent while another of this server's was still in flight, chained on it: for diagnostics and benchmarks.</summary>
    public long ChainedCommits => Interlocked.Read(ref _chainedCommits);

    /// <summary>The store's revision <see cref="Current"/> is as of (always 0 on a store of one server).</summary>
    public long Revision => Volatile.Read(ref _revision);

    /// <summary>
    /// Returns once <see cref="Current"/> holds every commit the store had when it was called: a read that follows
    /// a write made through another server sees it. At once on a store of one server.
    /// </summary>
    public Task SyncAsync()
    {
        if (_shared is null)
        {
            return Task.CompletedTask;
        }

        var pending = new Pending<bool>(static s => new Decision<TState, bool>(s, [], true)) { IsBarrier = true };
        return _queue.Writer.TryWrite(pending) ? pending.Completion.Task : Task.CompletedTask;
    }

    /// <summary>Asks the writer loop to catch up with the store soon (another server committed), without waiting.</summary>
    public void Poke() => _ = SyncAsync();

    /// <summary>
    /// As <see cref="Poke()"/>, unless <paramref name="revision"/> (a commit the change feed announced) is one this
    /// state already holds or one of this server's commits in flight — its own commits come back through the feed too
    /// (should one in flight fail, the writer catches up anyway).
    /// </summary>
    public void Poke(long? revision)
    {
        if (revision is not { } committed || committed > Math.Max(Revision, Volatile.Read(ref _sent)))
        {
            Poke();
        }
    }

    /// <summary>The newest durable state. Readers take it once per request and never see it change.</summary>
    public TState Current => Volatile.Read(ref _current);

    /// <summary>
    /// Raised after durable commits with the newest committed state, from a delivery loop of each subscriber's own
    /// (never the writer loop). Deliveries to one subscriber come one at a time and in commit order, but coalesce:
    /// while a subscriber is busy only the newest state waits for it, so it may skip intermediate states, and it
    /// always sees the newest one eventually. An exception a subscriber throws is logged; its deliveries go on.
    /// </summary>
    public event Action<TState>? Committed
    {
        add
        {
            if (value is null)
            {
                return;
            }

            lock (_subscribing)
            {
                var subscriber = new Subscriber(value, _logger);
                Volatile.Write(ref _subscribers, [.. _subscribers, subscriber]);
                if (_disposed)
                {
                    subscriber.Complete();
                }
            }
        }

        remove
        {
            if (value is null)
            {
                return;
            }

            lock (_subscribing)
            {
                // As for a multicast delegate: the last subscription of an equal handler goes.
                var index = _subscribers.Length - 1;
                while (index >= 0 && !_subscribers[index].Handler.Equals(value))
                {
                    index--;
                }

                if (index >= 0)
                {
                    _subscribers[index].Stop();
                    Volatile.Write(ref _subscribers, [.. _subscribers[..index], .. _subscribers[(index + 1)..]]);
                }
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="decide"/> against the newest state and returns its result once its
    /// mutations are durable. An exception thrown by <paramref name="decide"/> reaches the caller and
    /// changes nothing. When the store cannot commit the batch, every command of it fails with
    /// <see cref="CommitFailedException"/> and nothing of it is published.
    /// </summary>
    public Task<TResult> ExecuteAsync<TResult>(Func<TState, Decision<TState, TResult>> decide)
    {
        var pending = new Pending<TResult>(decide) { Fence = Fencing.Current };
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);

        return pending.Completion.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<IPending>(MaxBatch);
        var mutations = new List<Mutation>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            mutations.Clear();
            var state = _current;
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                if (pending.Decide(ref state, mutations))
                {
                    batch.Add(pending);
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                await _store.CommitAsync(mutations, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // Nothing of this batch is durable, so nothing of it is published; the next batch decides again on
                // the last published state.
                LogCommitFailed(_logger, batch.Count, mutations.Count, ex);
                foreach (var pending in batch)
                {
                    pending.Fail(new CommitFailedException(ex));
                }

                continue;
            }

            Volatile.Write(ref _current, state);
            foreach (var pending in batch)
            {
                pending.Succeed();
            }

            // Hands the state over and returns at once: no subscriber code runs here.
            foreach (var subscriber in Volatile.Read(ref _subscribers))
            {
                subscriber.Offer(state);
            }
        }
    }

    // The writer's own code failing is a bug: said loudly, and every command waiting is failed rather than left hanging.
    private async Task RunSharedGuardedAsync()
    {
        try
        {
            await RunSharedAsync();
        }
        catch (Exception ex)
        {
            LogWriterFailed(_logger, ex);
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var pending))
            {
                pending.Fail(new CommitFailedException(ex));
            }
        }
    }

    private async Task RunSharedAsync()
    {
        var inFlight = new Queue<InFlight>();
        var waiting = new List<IPending>(MaxBatch);
        var retry = new List<IPending>();
        Task<bool>? readable = null;
        var closed = false;
        while (true)
        {
            // Answer what is durable, oldest first; a failed commit takes the ones chained on it down too, and their
            // commands are decided again below, one batch at a time, before anything newer.
            while (inFlight.TryPeek(out var oldest) && oldest.Commit.IsCompleted)
            {
                if (!await SettleAsync(inFlight, retry))
                {
                    await RunSeriallyAsync(retry, catchUp: true, conflicts: 0);
                    retry.Clear();
                }
            }

            if (inFlight.Count < MaxInFlight && _queue.Reader.Count >= (inFlight.Count == 0 ? 1 : MinChained))
            {
                waiting.Clear();
                while (waiting.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
                {
                    waiting.Add(pending);
                }

                // A sync catches up with the store, which it can only do with nothing of this server's in flight; so
                // does a writer that always holds the head (tests).
                var barrier = waiting.Exists(p => p.IsBarrier);
                if (barrier || _holdAfterConflicts == 0)
                {
                    while (inFlight.Count > 0)
                    {
                        await ((Task)inFlight.Peek().Commit).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                        _ = await SettleAsync(inFlight, retry);
                    }

                    retry.AddRange(waiting);
                    await RunSeriallyAsync(retry, catchUp: barrier, conflicts: 0);
                    retry.Clear();
                    continue;
                }

                Send(inFlight, waiting);
                continue;
            }

            if (inFlight.Count == 0)
            {
                if (closed)
                {
                    return;
                }

                readable ??= _queue.Reader.WaitToReadAsync().AsTask();
                closed = !await readable;
                readable = null;
                continue;
            }

            // Commits in flight: wait for the oldest, or for a command to decide when there is room for another.
            var first = inFlight.Peek().Commit;
            if (inFlight.Count < MaxInFlight && !closed && _queue.Reader.Count == 0)
            {
                readable ??= _queue.Reader.WaitToReadAsync().AsTask();
                await Task.WhenAny(first, readable);
                if (readable.IsCompleted)
                {
                    closed = !readable.Result;
                    readable = null;
                }
            }
            else
            {
                await ((Task)first).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    // Decides a batch on the state the commits in flight will make and sends it chained on the newest of them (or on
    // the durable revision when none is in flight), without waiting for it. It does not catch up with the store first:
    // the conditional commit keeps a stale decision out, and skipping the query saves a round trip per batch.
    private void Send(Queue<InFlight> inFlight, List<IPending> waiting)
    {
        var tip = inFlight.Count > 0 ? inFlight.Last() : null;
        var state = tip is null ? _current : tip.State;
        var mutations = new List<Mutation>();
        var decided = new List<IPending>(waiting.Count);
        var fences = new HashSet<Fence>();
        DecideAll(ref state, waiting, mutations, decided, fences);

        if (mutations.Count == 0)
        {
            if (tip is null)
            {
                Volatile.Write(ref _current, state);
                SucceedAll(decided);
            }
            else
            {
                // Nothing to write, but decided on writes still in flight: answered once they are durable.
                inFlight.Enqueue(new InFlight(decided, mutations, state, tip.Link, Writes: false, Task.FromResult(0L)));
            }

            return;
        }

        var link = tip?.Link is { } previous ? CommitLink.Following(previous) : CommitLink.On(_revision);
        if (tip is not null)
        {
            Interlocked.Increment(ref _chainedCommits);
        }

        Volatile.Write(ref _sent, link.Expected + 1);
        inFlight.Enqueue(new InFlight(decided, mutations, state, link, Writes: true, _shared!.CommitAsync(link, mutations, fences, CancellationToken.None)));
    }

    // Settles the oldest commit in flight, which is done. True when it (and so everything before it) is durable and its
    // commands answered. False when it failed: then every commit in flight is waited for, the ones a later durable
    // commit proves durable are answered (each was chained on the one before), the rest of the commands are failed
    // when their own commit failed for a reason of its own, and added to retry to be decided again otherwise.
    private async Task<bool> SettleAsync(Queue<InFlight> inFlight, List<IPending> retry)
    {
        var oldest = inFlight.Peek();
        if (oldest.Commit.IsCompletedSuccessfully)
        {
            Settled(inFlight.Dequeue(), oldest.Commit.Result);
            return true;
        }

        await Task.WhenAll(inFlight.Select(f => (Task)f.Commit)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var entries = inFlight.ToArray();
        inFlight.Clear();
        var (durable, failed) = ChainSettlement.Of([.. entries.Select(e => (e.Writes, e.Commit.IsCompletedSuccessfully))]);
        for (var i = 0; i < durable; i++)
        {
            Settled(entries[i], entries[i].Link.Expected + 1);
        }

        Volatile.Write(ref _sent, _revision);
        if (failed < 0)
        {
            return true;
        }

        // What the failed commit missed may be another server's commit whose announcement was taken for this one's.
        Poke();
        var exception = entries[failed].Commit.Exception?.InnerException ?? new TaskCanceledException(entries[failed].Commit);
        switch (exception)
        {
            case CommitConflictException:
                Interlocked.Increment(ref _conflicts);
                retry.AddRange(entries[failed].Decided);
                break;
            case FencedException fenced:
                foreach (var pending in entries[failed].Decided)
                {
                    if (Equals(pending.Fence, fenced.Fence))
                    {
                        pending.Fail(fenced);
                    }
                    else
                    {
                        retry.Add(pending);
                    }
                }

                break;
            default:
                LogCommitFailed(_logger, entries[failed].Decided.Count, entries[failed].Mutations.Count, exception);
                FailAll(entries[failed].Decided, new CommitFailedException(exception));
                break;
        }

        // The ones after it were decided on what it would have written: decided again.
        foreach (var entry in entries.AsSpan(failed + 1))
        {
            retry.AddRange(entry.Decided);
        }

        return false;
    }

    private void Settled(InFlight entry, long revision)
    {
        if (entry.Writes)
        {
            _replication!.Committed(entry.Mutations);
            Volatile.Write(ref _revision, revision);
        }

        Volatile.Write(ref _current, entry.State);
        SucceedAll(entry.Decided);
        if (entry.Writes)
        {
            Publish(entry.State);
        }
    }

    // One batch at a time, nothing in flight: catches up when asked (a sync, or after a refused commit), and after
    // conflicts in a row holds the store's head so a server that keeps losing the race still commits.
    private async Task RunSeriallyAsync(List<IPending> waiting, bool catchUp, int conflicts)
    {
        var shared = _shared!;
        var replication = _replication!;
        var mutations = new List<Mutation>();
        var decided = new List<IPending>(waiting.Count);
        var fences = new HashSet<Fence>();
        for (; waiting.Count > 0; conflicts++, catchUp = true)
        {
            IHeadHold? hold = null;
            try
            {
                if (!await DecideAndCommitAsync())
                {
                    break;
                }
            }
            finally
            {
                if (hold is not null)
                {
                    try
                    {
                        await hold.DisposeAsync();
                    }
                    catch (Exception ex)
                    {
                        // The batch's outcome stands (the commit was acknowledged or refused before); a hold that
                        // cannot be let go is the connection's end, which releases it in PostgreSQL too.
                        LogHoldReleaseFailed(_logger, ex);
                    }
                }
            }

            // One attempt: false when the batch is done (committed or failed), true to decide again.
            async Task<bool> DecideAndCommitAsync()
            {
                ISharedCommits via = shared;
                try
                {
                    if (conflicts >= _holdAfterConflicts)
                    {
                        via = hold = await shared.HoldHeadAsync(CancellationToken.None);
                        catchUp = true;
                    }

                    if (catchUp)
                    {
                        await CatchUpAsync(via, shared, replication);
                    }
                }
                catch (Exception ex)
                {
                    LogCommitFailed(_logger, waiting.Count, 0, ex);
                    FailAll(waiting, new CommitFailedException(ex));
                    return false;
                }

                mutations.Clear();
                decided.Clear();
                fences.Clear();
                var state = _current;
                DecideAll(ref state, waiting, mutations, decided, fences);

                if (mutations.Count == 0)
                {
                    Volatile.Write(ref _current, state);
                    SucceedAll(decided);
                    return false;
                }

                try
                {
                    var revision = await via.CommitAsync(CommitLink.On(_revision), mutations, fences, CancellationToken.None);
                    if (hold is not null)
                    {
                        Interlocked.Increment(ref _heldCommits);
                    }

                    replication.Committed(mutations);
                    Volatile.Write(ref _revision, revision);
                    Volatile.Write(ref _current, state);
                    SucceedAll(decided);
                    Publish(state);
                    return false;
                }
                catch (CommitConflictException) when (conflicts < MaxConflicts)
                {
                    // Another server committed first: catch up and decide again.
                    Interlocked.Increment(ref _conflicts);
                    (waiting, decided) = (decided, waiting);
                    return true;
                }
                catch (FencedException fenced)
                {
                    // The commands of a controller whose term ended fail; the others are decided again.
                    waiting.Clear();
                    foreach (var pending in decided)
                    {
                        if (Equals(pending.Fence, fenced.Fence))
                        {
                            pending.Fail(fenced);
                        }
                        else
                        {
                            waiting.Add(pending);
                        }
                    }

                    return true;
                }
                catch (Exception ex)
                {
                    LogCommitFailed(_logger, decided.Count, mutations.Count, ex);
                    FailAll(decided, new CommitFailedException(ex));
                    return false;
                }
            }
        }
    }

    // Decides each command in turn, each on the state the ones before it made; the ones that failed are answered already.
    private static void DecideAll(ref TState state, List<IPending> waiting, List<Mutation> mutations, List<IPending> decided, HashSet<Fence> fences)
    {
        foreach (var pending in waiting)
        {
            if (pending.Decide(ref state, mutations))
            {
                decided.Add(pending);
                if (pending.Fence is { } fence)
                {
                    fences.Add(fence);
                }
            }
        }
    }

    // A batch sent and not yet settled. Writes false: it had nothing to write but was decided on the ones before it.
    private sealed record InFlight(List<IPending> Decided, List<Mutation> Mutations, TState State, CommitLink Link, bool Writes, Task<long> Commit);

    // Applies what other servers committed since this state's revision (or loads a snapshot when the journal was
    // pruned past it) and publishes the result.
    private async Task CatchUpAsync(ISharedCommits via, ISharedDocumentStore shared, Replication<TState> replication)
    {
        var changes = await via.ChangesSinceAsync(_revision, CancellationToken.None);
        TState state;
        long revision;
        if (changes is null)
        {
            var snapshot = await shared.LoadSnapshotAsync(CancellationToken.None);
            (state, revision) = (replication.Load(snapshot.Documents), snapshot.Revision);
        }
        else if (changes.Count == 0)
        {
            return;
        }
        else
        {
            (state, revision) = (_current, _revision);
            foreach (var entry in changes)
            {
                state = replication.Apply(state, entry.Mutations);
                revision = entry.Revision;
            }
        }

        Volatile.Write(ref _revision, revision);
        Volatile.Write(ref _current, state);
        Publish(state);
    }

    private void Publish(TState state)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Offer(state);
        }
    }

    private static void SucceedAll(List<IPending> pendings)
    {
        foreach (var pending in pendings)
        {
            pending.Succeed();
        }
    }

    private static void FailAll(List<IPending> pendings, Exception exception)
    {
        foreach (var pending in pendings)
        {
            pending.Fail(exception);
        }
    }

    /// <summary>
    /// Stops taking commands and waits for the ones queued to be committed. Subscribers still get the last state,
    /// but the wait is not for them: a subscriber that never returns cannot hold up a shutdown.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        lock (_subscribing)
        {
            _disposed = true;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Complete();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Commit of {CommandCount} commands ({MutationCount} mutations) failed; none of them was applied")]
    private static partial void LogCommitFailed(ILogger logger, int commandCount, int mutationCount, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The writer loop failed; it takes no more commands")]
    private static partial void LogWriterFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Letting go of the store's head failed; the connection that held it is dropped")]
    private static partial void LogHoldReleaseFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Committed subscriber {Subscriber} failed; its later deliveries go on")]
    private static partial void LogSubscriberFailed(ILogger logger, string subscriber, Exception exception);

    private interface IPending
    {
        /// <summary>The fence of the controller that gave the command, if one did.</summary>
        Fence? Fence { get; }

        /// <summary>A sync (<see cref="SyncAsync"/>): the batch catches up with the store before it is decided.</summary>
        bool IsBarrier { get; }

        /// <summary>Applies the command to <paramref name="state"/>; false when it failed (already answered).</summary>
        bool Decide(ref TState state, List<Mutation> mutations);

        void Succeed();

        void Fail(Exception exception);
    }

    // One subscription: a one-slot mailbox that keeps only the newest state, and the loop that empties it.
    private sealed class Subscriber
    {
        private readonly Channel<TState> _states = Channel.CreateBounded<TState>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });

        private readonly ILogger _logger;
        private volatile bool _stopped;

        public Subscriber(Action<TState> handler, ILogger logger)
        {
            Handler = handler;
            _logger = logger;
            _ = Task.Run(DeliverAsync);
        }

        public Action<TState> Handler { get; }

        public void Offer(TState state) => _states.Writer.TryWrite(state);

        /// <summary>No more states come; the one waiting is still delivered.</summary>
        public void Complete() => _states.Writer.TryComplete();

        /// <summary>Unsubscribed: nothing more is delivered (a delivery already running finishes).</summary>
        public void Stop()
        {
            _stopped = true;
            _states.Writer.TryComplete();
        }

        private async Task DeliverAsync()
        {
            await foreach (var state in _states.Reader.ReadAllAsync())
            {
                if (_stopped)
                {
                    return;
                }

                try
                {
                    Handler(state);
                }
                catch (Exception ex)
                {
                    LogSubscriberFailed(_logger, $"{Handler.Method.DeclaringType?.Name}.{Handler.Method.Name}", ex);
                }
            }
        }
    }

    private sealed class Pending<TResult>(Func<TState, Decision<TState, TResult>> decide) : IPending
    {
        private TResult? _result;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Fence? Fence { get; init; }

        public bool IsBarrier { get; init; }

        public bool Decide(ref TState state, List<Mutation> mutations)
        {
            try
            {
                var decision = decide(state);
                state = decision.State;
                mutations.AddRange(decision.Mutations);
                _result = decision.Result;
                return true;
            }
            catch (Exception ex)
            {
                Completion.TrySetException(ex);
                return false;
            }
        }

        public void Succeed() => Completion.TrySetResult(_result!);

        public void Fail(Exception exception) => Completion.TrySetException(exception);
    }
}
