using System.Threading.Channels;
using Berth.Storage.Documents;

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
/// <typeparam name="TState">An immutable snapshot of everything the control plane knows.</typeparam>
public sealed class CommitPipeline<TState> : IAsyncDisposable where TState : class
{
    private const int MaxBatch = 256;
    private readonly IDocumentStore _store;
    private readonly Channel<IPending> _queue = Channel.CreateUnbounded<IPending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private TState _current;

    /// <summary>Starts the writer loop over <paramref name="initial"/> (the state loaded from the store).</summary>
    public CommitPipeline(IDocumentStore store, TState initial)
    {
        _store = store;
        _current = initial;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The newest durable state. Readers take it once per request and never see it change.</summary>
    public TState Current => Volatile.Read(ref _current);

    /// <summary>Raised on the writer loop after each durable commit, with the new state.</summary>
    public event Action<TState>? Committed;

    /// <summary>
    /// Runs <paramref name="decide"/> against the newest state and returns its result once its
    /// mutations are durable. An exception thrown by <paramref name="decide"/> reaches the caller and
    /// changes nothing.
    /// </summary>
    public Task<TResult> ExecuteAsync<TResult>(Func<TState, Decision<TState, TResult>> decide)
    {
        var pending = new Pending<TResult>(decide);
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
                // Nothing of this batch is durable, so nothing of it is published.
                foreach (var pending in batch)
                {
                    pending.Fail(ex);
                }

                continue;
            }

            Volatile.Write(ref _current, state);
            foreach (var pending in batch)
            {
                pending.Succeed();
            }

            Committed?.Invoke(state);
        }
    }

    /// <summary>Stops taking commands and waits for the ones queued to be committed.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private interface IPending
    {
        /// <summary>Applies the command to <paramref name="state"/>; false when it failed (already answered).</summary>
        bool Decide(ref TState state, List<Mutation> mutations);

        void Succeed();

        void Fail(Exception exception);
    }

    private sealed class Pending<TResult>(Func<TState, Decision<TState, TResult>> decide) : IPending
    {
        private TResult? _result;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
