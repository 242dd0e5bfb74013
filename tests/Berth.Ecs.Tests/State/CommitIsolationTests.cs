using System.Collections.Concurrent;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.State;

/// <summary>
/// The writer cannot be stopped by a subscriber, and survives its store: subscribers run off the writer loop (a
/// blocked one delays no write, a throwing one stops nothing), and a batch SQLite refuses is answered as an internal
/// fault while the next batches commit. Real SQLite files; the failure is SQLite's own (a trigger that aborts).
/// </summary>
public sealed class CommitIsolationTests : IDisposable
{
    // Only a safety net so a broken pipeline fails the test instead of hanging it; no assertion depends on time.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("berth-commit-").FullName;

    private string DbPath => Path.Combine(_dir, "state.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_blocked_subscriber_delays_no_write_and_then_sees_the_newest_state()
    {
        var (store, pipeline) = await OpenAsync();
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawLast = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new ConcurrentQueue<int>();
        var returned = 0;
        pipeline.Committed += state =>
        {
            seen.Enqueue(state.Clusters.Count);
            entered.TrySetResult();
            release.Wait(Patience); // blocks its delivery loop until the test lets go
            Interlocked.Increment(ref returned);
            if (state.Clusters.Count == 21)
            {
                sawLast.TrySetResult();
            }
        };

        await CreateAsync(pipeline, "c0");
        await entered.Task.WaitAsync(Patience);
        for (var i = 1; i <= 20; i++)
        {
            // Each write is acknowledged while the subscriber is still inside its first delivery.
            await CreateAsync(pipeline, $"c{i}").WaitAsync(Patience);
        }

        Assert.Equal(0, Volatile.Read(ref returned));
        Assert.Equal(21, pipeline.Current.Clusters.Count);

        release.Set();
        await sawLast.Task.WaitAsync(Patience);

        // In commit order, and the intermediate states coalesced: the newest waits, the ones before it are skipped.
        var counts = seen.ToArray();
        Assert.Equal(1, counts[0]);
        Assert.Equal(21, counts[^1]);
        Assert.True(counts.Length < 21, $"delivered {counts.Length} states: {string.Join(",", counts)}");
        Assert.Equal(counts.Order(), counts);
        await CloseAsync(store, pipeline);
    }

    [Fact]
    public async Task A_throwing_subscriber_stops_no_write_and_later_subscribers_see_later_states()
    {
        var logs = new ListLogger();
        var (store, pipeline) = await OpenAsync(logs);

        // What the agent channel once did: wake a semaphore that is already disposed.
        var disposed = new SemaphoreSlim(0, 1);
        disposed.Dispose();
        var failingCalls = 0;
        var failingFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failingSawLast = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pipeline.Committed += state =>
        {
            Interlocked.Increment(ref failingCalls);
            failingFirst.TrySetResult();
            if (state.Clusters.Count == 10)
            {
                failingSawLast.TrySetResult();
            }

            disposed.Release();
        };
        var laterSawLast = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pipeline.Committed += state =>
        {
            if (state.Clusters.Count == 10)
            {
                laterSawLast.TrySetResult();
            }
        };

        await CreateAsync(pipeline, "c0").WaitAsync(Patience);
        await failingFirst.Task.WaitAsync(Patience);
        for (var i = 1; i < 10; i++)
        {
            await CreateAsync(pipeline, $"c{i}").WaitAsync(Patience);
        }

        await laterSawLast.Task.WaitAsync(Patience);
        await failingSawLast.Task.WaitAsync(Patience);
        Assert.Equal(10, pipeline.Current.Clusters.Count);

        // The failing subscriber was called again after its first throw, and every throw was logged.
        var calls = Volatile.Read(ref failingCalls);
        Assert.True(calls >= 2, $"called {calls} times");
        var failures = await logs.WhenCountAsync(calls).WaitAsync(Patience);
        Assert.All(failures, e =>
        {
            Assert.Equal(LogLevel.Error, e.Level);
            Assert.IsType<ObjectDisposedException>(e.Exception);
            Assert.Contains("Committed subscriber", e.Message, StringComparison.Ordinal);
        });
        await CloseAsync(store, pipeline);
    }

    [Fact]
    public async Task A_batch_the_store_refuses_is_answered_ServerException_publishes_nothing_and_the_next_writes_commit()
    {
        var logs = new ListLogger();
        var (store, pipeline) = await OpenAsync(logs);
        var published = new ConcurrentQueue<EcsState>();
        pipeline.Committed += published.Enqueue;
        await RefuseClusterIdsContainingAsync("poison");

        // Three commands in one batch: the first holds the writer in its decision until the other two are queued.
        using var queued = new ManualResetEventSlim();
        var first = pipeline.ExecuteAsync(s =>
        {
            queued.Wait(Patience);
            return ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = "a" });
        });
        var poisoned = CreateAsync(pipeline, "poison");
        var last = CreateAsync(pipeline, "b");
        queued.Set();

        foreach (var call in new[] { first, poisoned, last })
        {
            var error = await Assert.ThrowsAsync<CommitFailedException>(() => call.WaitAsync(Patience));
            Assert.Equal("ServerException", error.ErrorType);
            Assert.Equal(500, error.StatusCode);
            Assert.IsType<SqliteException>(error.StoreError);
            Assert.DoesNotContain("poison", error.Message, StringComparison.Ordinal);
        }

        Assert.Empty(pipeline.Current.Clusters);
        var failure = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.IsType<SqliteException>(failure.Exception);

        // The writer goes on: the same commands without the poisoned one commit, and are what subscribers see.
        await CreateAsync(pipeline, "a").WaitAsync(Patience);
        await CreateAsync(pipeline, "b").WaitAsync(Patience);
        Assert.Equal(["a", "b"], pipeline.Current.Clusters.Values.Select(c => c.ClusterName));
        await CloseAsync(store, pipeline);
        Assert.All(published, s => Assert.DoesNotContain(s.Clusters.Values, c => c.ClusterName == "poison"));
        Assert.Equal(2, published.Last().Clusters.Count);

        (store, pipeline) = await OpenAsync();
        Assert.Equal(["a", "b"], pipeline.Current.Clusters.Values.Select(c => c.ClusterName));
        await CloseAsync(store, pipeline);
    }

    private static Task<ClusterRecord> CreateAsync(CommitPipeline<EcsState> pipeline, string name)
        => pipeline.ExecuteAsync(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = name }));

    private async Task<(SqliteDocumentStore Store, CommitPipeline<EcsState> Pipeline)> OpenAsync(ILogger? logger = null)
    {
        var store = await SqliteDocumentStore.OpenAsync(DbPath);
        var state = StateCodec.Load(await store.LoadAllAsync(CancellationToken.None));
        return (store, new CommitPipeline<EcsState>(store, state, logger));
    }

    private static async Task CloseAsync(SqliteDocumentStore store, CommitPipeline<EcsState> pipeline)
    {
        await pipeline.DisposeAsync();
        await store.DisposeAsync();
    }

    // SQLite itself refuses the write, as it would a full disk: the statement aborts inside the store's transaction.
    private async Task RefuseClusterIdsContainingAsync(string word)
    {
        await using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE TRIGGER refuse_{word} BEFORE INSERT ON documents WHEN NEW.kind = '{StateCodec.ClusterKind}' AND NEW.id LIKE '%{word}%' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;";
        await command.ExecuteNonQueryAsync();
    }

    private sealed record LogEntry(LogLevel Level, string Message, Exception? Exception);

    private sealed class ListLogger : ILogger
    {
        private readonly Lock _lock = new();
        private readonly List<LogEntry> _entries = [];
        private readonly List<(int Count, TaskCompletionSource<IReadOnlyList<LogEntry>> Done)> _waiters = [];

        public IReadOnlyList<LogEntry> Entries
        {
            get
            {
                lock (_lock)
                {
                    return [.. _entries];
                }
            }
        }

        /// <summary>Completes once <paramref name="count"/> entries were logged, with them.</summary>
        public Task<IReadOnlyList<LogEntry>> WhenCountAsync(int count)
        {
            lock (_lock)
            {
                var done = new TaskCompletionSource<IReadOnlyList<LogEntry>>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, done));
                Notify();
                return done.Task;
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lock)
            {
                _entries.Add(new LogEntry(logLevel, formatter(state, exception), exception));
                Notify();
            }
        }

        private void Notify()
        {
            foreach (var waiter in _waiters.Where(w => _entries.Count >= w.Count).ToList())
            {
                waiter.Done.TrySetResult([.. _entries]);
                _waiters.Remove(waiter);
            }
        }
    }
}
