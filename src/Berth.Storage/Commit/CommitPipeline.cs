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
/// On a store several servers share (<see cref="OpenSharedAsync"/>) the loop first brings the state up to the
/// store's newest revision, then decides, then commits on the condition that nobody committed meanwhile; when
/// somebody did, it catches up and decides the same commands again (they are pure functions of the state).
/// </remarks>
/// <typeparam name="TState">An immutable snapshot of everything the control plane knows.</typeparam>
public sealed partial class CommitPipeline<TState> : IAsyncDisposable where TState : class
{
    private const int MaxBatch = 256;

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
    private readonly Channel<IPending> _queue = Channel.CreateUnbounded<IPending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _subscribing = new();
    private readonly Task _loop;
    private Subscriber[] _subscribers = [];
    private bool _disposed;
    private TState _current;
    private long _revision;
    private long _conflicts;
    private long _heldCommits;

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
        _loop = Task.Run(RunSharedAsync);
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
    /// state already holds — this server's own commits come back through the feed too.
    /// </summary>
    public void Poke(long? revision)
    {
        if (revision is not { } committed || committed > Revision)
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

    private async Task RunSharedAsync()
    {
        var shared = _shared!;
        var replication = _replication!;
        var mutations = new List<Mutation>();
        var waiting = new List<IPending>(MaxBatch);
        var decided = new List<IPending>(MaxBatch);
        var fences = new HashSet<Fence>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            waiting.Clear();
            while (waiting.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                waiting.Add(pending);
            }

            // A batch is decided on the state as it is here, unless somebody asked to sync (a read, or the change feed
            // saying another server committed) or a commit was refused: the conditional commit keeps a stale decision
            // out either way, and skipping the query saves a round trip per batch.
            var catchUp = waiting.Exists(p => p.IsBarrier);
            for (var conflicts = 0; waiting.Count > 0; conflicts++, catchUp = true)
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

                    if (mutations.Count == 0)
                    {
                        Volatile.Write(ref _current, state);
                        SucceedAll(decided);
                        return false;
                    }

                    try
                    {
                        var revision = await via.CommitAsync(_revision, mutations, fences, CancellationToken.None);
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
    }

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
