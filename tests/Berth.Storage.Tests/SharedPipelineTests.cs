using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Storage.Commit;
using Berth.Storage.Documents;
using Berth.Storage.Postgres;
using Berth.Tests.Shared;
using Berth.Storage.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Storage.Tests;

/// <summary>
/// Two or three servers' commit pipelines over one PostgreSQL database, deciding ECS's own commands: every write is
/// conditional on the revision it was decided on, a stale writer catches up and decides again, and a controller whose
/// term ended cannot write.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SharedPipelineTests(PostgresFixture postgres)
{
    private static readonly Scope Scope = new("us-east-1", "000000000000");
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private const string Principal = "arn:aws:iam::000000000000:root";

    private static RegisterTaskDefinitionRequest Definition(string family) => new()
    {
        Family = family,
        ContainerDefinitions = [new ContainerDefinition { Name = "web", Image = "busybox", Memory = 128, Essential = true }],
    };

    private static Replication<EcsState> Ecs => Replication<EcsState>.Incremental(StateCodec.Load, StateCodec.Apply);

    private static async Task<(PostgresDatabase Database, CommitPipeline<EcsState> Pipeline)> ServerAsync(string url, int holdAfterConflicts = 3)
    {
        var database = await PostgresDatabase.OpenAsync(url, null, CancellationToken.None);
        var store = await database.StoreAsync("ecs", CancellationToken.None);
        var pipeline = await CommitPipeline<EcsState>.OpenSharedAsync(store, Ecs, null, CancellationToken.None, holdAfterConflicts);
        database.Subscribe("ecs", pipeline.Poke);
        return (database, pipeline);
    }

    [Fact]
    public async Task RegistrationsOnThreeServersAtOnceGetGaplessUniqueRevisions()
    {
        var url = await postgres.Server.CreateDatabaseAsync();
        var servers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => ServerAsync(url)));
        try
        {
            var registrations = Enumerable.Range(0, 90).Select(i => Task.Run(() =>
                servers[i % 3].Pipeline.ExecuteAsync(s => TaskDefinitionDecisions.Register(s, Scope, Principal, Now, Definition("app")))));
            var results = await Task.WhenAll(registrations);
            Assert.Equal(Enumerable.Range(1, 90), results.Select(r => r.Definition.Revision!.Value).Order());

            // Every server, once synced, holds all 90 in order, identical to what a fresh load gives.
            foreach (var (_, pipeline) in servers)
            {
                await pipeline.SyncAsync();
                var family = Assert.Single(pipeline.Current.Families.Values);
                Assert.Equal(Enumerable.Range(1, 90), family.Revisions.Select(r => r.Definition.Revision!.Value));
            }

            var (database, fresh) = await ServerAsync(url);
            await using (database)
            await using (fresh)
            {
                Assert.Equal(servers[0].Pipeline.Revision, fresh.Revision);
                Assert.Equal(
                    servers[0].Pipeline.Current.Families.Values.Single().Revisions.Select(r => r.Definition.TaskDefinitionArn),
                    fresh.Current.Families.Values.Single().Revisions.Select(r => r.Definition.TaskDefinitionArn));
            }
        }
        finally
        {
            foreach (var (database, pipeline) in servers)
            {
                await pipeline.DisposeAsync();
                await database.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AServerThatHoldsTheHeadCommitsBesideOnesThatRaceAndRevisionsStayGapless()
    {
        // Server 0 decides every batch holding the head (what a server does after losing the race three times in a
        // row); servers 1 and 2 commit optimistically against it.
        var url = await postgres.Server.CreateDatabaseAsync();
        var servers = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => ServerAsync(url, holdAfterConflicts: i == 0 ? 0 : 3)));
        try
        {
            var registrations = Enumerable.Range(0, 120).Select(i => Task.Run(() =>
                servers[i % 3].Pipeline.ExecuteAsync(s => TaskDefinitionDecisions.Register(s, Scope, Principal, Now, Definition("app")))));
            var results = await Task.WhenAll(registrations);
            Assert.Equal(Enumerable.Range(1, 120), results.Select(r => r.Definition.Revision!.Value).Order());
            Assert.True(servers[0].Pipeline.HeldCommits > 0);
            Assert.Equal(0L, servers[0].Pipeline.Conflicts);

            foreach (var (_, pipeline) in servers)
            {
                await pipeline.SyncAsync();
                Assert.Equal(Enumerable.Range(1, 120), Assert.Single(pipeline.Current.Families.Values).Revisions.Select(r => r.Definition.Revision!.Value));
            }
        }
        finally
        {
            foreach (var (database, pipeline) in servers)
            {
                await pipeline.DisposeAsync();
                await database.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AWriteOnOneServerIsSeenByTheNextReadOnAnother()
    {
        var url = await postgres.Server.CreateDatabaseAsync();
        var (databaseA, a) = await ServerAsync(url);
        var (databaseB, b) = await ServerAsync(url);
        await using (databaseA)
        await using (databaseB)
        await using (a)
        await using (b)
        {
            for (var i = 0; i < 20; i++)
            {
                var name = $"c{i}";
                await a.ExecuteAsync(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = name }));

                // Read-your-writes across servers: a read syncs first, so it never misses a write that was answered.
                await b.SyncAsync();
                Assert.Contains(b.Current.Clusters.Values, c => c.ClusterName == name);
            }

            // B's own write decided on what it caught up to: deleting a cluster A made works at once.
            await b.ExecuteAsync(s => ClusterDecisions.Delete(s, Scope, new DeleteClusterRequest { Cluster = "c3" }));
            await a.SyncAsync();
            Assert.Equal(ClusterStatus.Inactive, a.Current.Clusters.Values.Single(c => c.ClusterName == "c3").Status);
        }
    }

    [Fact]
    public async Task AnotherServersCommitReachesThisServersSubscribersWithoutARequest()
    {
        var url = await postgres.Server.CreateDatabaseAsync();
        var (databaseA, a) = await ServerAsync(url);
        var (databaseB, b) = await ServerAsync(url);
        await using (databaseA)
        await using (databaseB)
        await using (a)
        await using (b)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            b.Committed += s =>
            {
                if (s.Clusters.Values.Any(c => c.ClusterName == "pushed"))
                {
                    seen.TrySetResult();
                }
            };
            await a.ExecuteAsync(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = "pushed" }));
            await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task AControllerWhoseTermEndedCannotWriteButOtherCommandsOfItsBatchCommit()
    {
        var url = await postgres.Server.CreateDatabaseAsync();
        var (database, pipeline) = await ServerAsync(url);
        await using (database)
        await using (pipeline)
        {
            await using var first = new PostgresLeadership(database.Source, "controllers", "server-1", TimeSpan.FromSeconds(30), TimeProvider.System, NullLogger.Instance);
            var lead = await first.WaitForLeadAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            using (Fencing.Enter(lead.Fence))
            {
                await pipeline.ExecuteAsync(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = "during-term" }));
            }

            // The lease runs out (as when the holder paused): another server takes the next term.
            await using (var expire = database.Source.CreateCommand("UPDATE berth_leases SET expires_at = now() - interval '1 second'"))
            {
                await expire.ExecuteNonQueryAsync();
            }

            await using var second = new PostgresLeadership(database.Source, "controllers", "server-2", TimeSpan.FromSeconds(30), TimeProvider.System, NullLogger.Instance);
            var next = await second.WaitForLeadAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(next.Fence.Term > lead.Fence.Term);

            Task<ClusterRecord> stale;
            using (Fencing.Enter(lead.Fence))
            {
                stale = pipeline.ExecuteAsync(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = "after-term" }));
            }

            var plain = pipeline.ExecuteAsync(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = "api-write" }));
            var refused = await Assert.ThrowsAsync<FencedException>(() => stale);
            Assert.Equal(lead.Fence, refused.Fence);
            await plain;
            using (Fencing.Enter(next.Fence))
            {
                await pipeline.ExecuteAsync(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = "new-term" }));
            }

            var (check, reloaded) = await ServerAsync(url);
            await using (check)
            await using (reloaded)
            {
                Assert.Equal(["api-write", "during-term", "new-term"], reloaded.Current.Clusters.Values.Select(c => c.ClusterName).Order(StringComparer.Ordinal));
            }

        }
    }

    [Fact]
    public async Task CommandsDecidedOnACommitInFlightThatIsRefusedAreDecidedAgainWithoutIt()
    {
        var url = await postgres.Server.CreateDatabaseAsync();

        // Not subscribed to the change feed: a sync it asks for would put the batch it lands in through the writer
        // one commit at a time, and this is about commits in flight at once.
        var database = await PostgresDatabase.OpenAsync(url, null, CancellationToken.None);
        var pipeline = await CommitPipeline<EcsState>.OpenSharedAsync(await database.StoreAsync("ecs", CancellationToken.None), Ecs, null, CancellationToken.None);
        await using (database)
        await using (pipeline)
        {
            await using var first = new PostgresLeadership(database.Source, "controllers", "server-1", TimeSpan.FromSeconds(30), TimeProvider.System, NullLogger.Instance);
            var lead = await first.WaitForLeadAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            await using (var expire = database.Source.CreateCommand("UPDATE berth_leases SET expires_at = now() - interval '1 second'"))
            {
                await expire.ExecuteNonQueryAsync();
            }

            await using var second = new PostgresLeadership(database.Source, "controllers", "server-2", TimeSpan.FromSeconds(30), TimeProvider.System, NullLogger.Instance);
            await second.WaitForLeadAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

            // The former leader's command is decided alone (the writer is held inside it until the registrations wait),
            // so they are decided on the cluster it would create and sent chained on its commit, which is refused.
            using var deciding = new ManualResetEventSlim();
            using var release = new ManualResetEventSlim();
            Task<ClusterRecord> stale;
            using (Fencing.Enter(lead.Fence))
            {
                stale = pipeline.ExecuteAsync(s =>
                {
                    deciding.Set();
                    release.Wait(TimeSpan.FromSeconds(30));
                    return ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = "after-term" });
                });
            }

            Assert.True(deciding.Wait(TimeSpan.FromSeconds(30)));
            var registrations = Enumerable.Range(0, 8)
                .Select(_ => pipeline.ExecuteAsync(s => TaskDefinitionDecisions.Register(s, Scope, Principal, Now, Definition("chained"))))
                .ToArray();
            release.Set();

            await Assert.ThrowsAsync<FencedException>(() => stale);
            var registered = await Task.WhenAll(registrations);
            Assert.Equal(Enumerable.Range(1, 8), registered.Select(r => r.Definition.Revision!.Value).Order());
            Assert.True(pipeline.ChainedCommits > 0);
            Assert.Empty(pipeline.Current.Clusters);

            var (check, reloaded) = await ServerAsync(url);
            await using (check)
            await using (reloaded)
            {
                Assert.Empty(reloaded.Current.Clusters);
                Assert.Equal(Enumerable.Range(1, 8), reloaded.Current.Families.Values.Single().Revisions.Select(r => r.Definition.Revision!.Value));
            }
        }
    }

    [Fact]
    public async Task ALeaderThatStopsHandsOverAtOnceAndEachTermIsGreater()
    {
        var url = await postgres.Server.CreateDatabaseAsync();
        await using var database = await PostgresDatabase.OpenAsync(url, null, CancellationToken.None);
        var one = new PostgresLeadership(database.Source, "controllers", "one", TimeSpan.FromSeconds(30), TimeProvider.System, NullLogger.Instance);
        var first = await one.WaitForLeadAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await using var two = new PostgresLeadership(database.Source, "controllers", "two", TimeSpan.FromSeconds(3), TimeProvider.System, NullLogger.Instance);
        var waiting = two.WaitForLeadAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        // Disposing gives the lease up: the other server leads on its next try (a third of its lease), not after 30 s.
        await one.DisposeAsync();
        Assert.True(first.Ended.IsCancellationRequested);
        var second = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(second.Fence.Term > first.Fence.Term);
        Assert.Equal("two", second.Fence.Holder);
    }

    [Fact]
    public async Task PostgresRestartedUnderWritesLosesNothingAcknowledgedAndTheServersGoOn()
    {
        var url = await postgres.Server.CreateDatabaseAsync();
        var (databaseA, a) = await ServerAsync(url);
        var (databaseB, b) = await ServerAsync(url);
        await using (databaseA)
        await using (databaseB)
        await using (a)
        await using (b)
        {
            // Two writers register revisions while the database crashes and comes back; some calls fail meanwhile.
            var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
            var failed = 0;
            using var stop = new CancellationTokenSource();
            async Task WriteAsync(CommitPipeline<EcsState> pipeline)
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        var registered = await pipeline.ExecuteAsync(s => TaskDefinitionDecisions.Register(s, Scope, Principal, Now, Definition("restart")));
                        acknowledged.Add(registered.Definition.TaskDefinitionArn!);
                    }
                    catch (CommitFailedException)
                    {
                        Interlocked.Increment(ref failed);
                        await Task.Delay(20);
                    }
                }
            }

            var writers = new[] { Task.Run(() => WriteAsync(a)), Task.Run(() => WriteAsync(b)) };
            await Poll(() => acknowledged.Count >= 20);
            await postgres.Server.StopImmediatelyAsync();
            await postgres.Server.StartAgainAsync();
            var before = acknowledged.Count;
            await Poll(() => acknowledged.Count >= before + 20);
            await stop.CancelAsync();
            await Task.WhenAll(writers);

            // Every acknowledged revision is in a fresh load, revisions stay gapless, and both servers agree.
            var (check, fresh) = await ServerAsync(url);
            await using (check)
            await using (fresh)
            {
                var stored = fresh.Current.Families.Values.Single().Revisions;
                Assert.Superset(acknowledged.ToHashSet(), stored.Select(r => r.Definition.TaskDefinitionArn!).ToHashSet());
                Assert.Equal(Enumerable.Range(1, stored.Count), stored.Select(r => r.Definition.Revision!.Value));
                await a.SyncAsync();
                await b.SyncAsync();
                Assert.Equal(stored.Count, a.Current.Families.Values.Single().Revisions.Count);
                Assert.Equal(stored.Count, b.Current.Families.Values.Single().Revisions.Count);
            }
        }
    }

    private static async Task Poll(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
