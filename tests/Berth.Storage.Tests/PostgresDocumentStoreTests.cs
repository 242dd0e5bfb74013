using System.Text;
using Berth.Storage.Documents;
using Berth.Storage.Postgres;
using Berth.Tests.Shared;
using Npgsql;

namespace Berth.Storage.Tests;

/// <summary>The PostgreSQL store on a real server: conditional commits, the journal, fences, migrations.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDocumentStoreTests(PostgresFixture postgres)
{
    private static byte[] Body(string text) => Encoding.UTF8.GetBytes(text);

    private async Task<PostgresDatabase> OpenAsync(string? url = null)
        => await PostgresDatabase.OpenAsync(url ?? await postgres.Server.CreateDatabaseAsync(), null, CancellationToken.None);

    [Fact]
    public async Task CommitsAreGaplessRevisionsAndASnapshotHoldsThem()
    {
        await using var database = await OpenAsync();
        var store = await database.StoreAsync("ecs", CancellationToken.None);
        Assert.Equal(1, await store.CommitAsync(0, [Mutation.Put("k", "a", Body("1")), Mutation.Put("k", "b", Body("2"))], [], CancellationToken.None));
        Assert.Equal(2, await store.CommitAsync(1, [Mutation.Put("k", "a", Body("3")), Mutation.Delete("k", "b"), Mutation.Put("k", "a", Body("4"))], [], CancellationToken.None));

        var snapshot = await store.LoadSnapshotAsync(CancellationToken.None);
        Assert.Equal(2, snapshot.Revision);
        var document = Assert.Single(snapshot.Documents);
        Assert.Equal(("k", "a", "4"), (document.Kind, document.Id, Encoding.UTF8.GetString(document.Body)));

        // Another namespace is another store: its own revisions, its own documents.
        var other = await database.StoreAsync("registry", CancellationToken.None);
        Assert.Empty((await other.LoadSnapshotAsync(CancellationToken.None)).Documents);
        Assert.Equal(1, await other.CommitAsync(0, [Mutation.Put("k", "a", Body("x"))], [], CancellationToken.None));
    }

    [Fact]
    public async Task ACommitDecidedOnAnOldRevisionIsRefusedAndWritesNothing()
    {
        await using var database = await OpenAsync();
        var store = await database.StoreAsync("ecs", CancellationToken.None);
        await store.CommitAsync(0, [Mutation.Put("k", "a", Body("first"))], [], CancellationToken.None);

        var conflict = await Assert.ThrowsAsync<CommitConflictException>(() => store.CommitAsync(0, [Mutation.Put("k", "a", Body("stale")), Mutation.Put("k", "z", Body("stale"))], [], CancellationToken.None));
        Assert.Equal(0, conflict.ExpectedRevision);
        var snapshot = await store.LoadSnapshotAsync(CancellationToken.None);
        Assert.Equal(1, snapshot.Revision);
        Assert.Equal("first", Encoding.UTF8.GetString(Assert.Single(snapshot.Documents).Body));
    }

    [Fact]
    public async Task SimultaneousCommitsOnTheSameRevisionLetExactlyOneThrough()
    {
        await using var database = await OpenAsync();
        var store = await database.StoreAsync("ecs", CancellationToken.None);
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                await store.CommitAsync(0, [Mutation.Put("k", "winner", Body(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))], [], CancellationToken.None);
                return true;
            }
            catch (CommitConflictException)
            {
                return false;
            }
        })));
        Assert.Single(attempts, won => won);
        Assert.Equal(1, (await store.LoadSnapshotAsync(CancellationToken.None)).Revision);
    }

    [Fact]
    public async Task ACommitChainedOnOneInFlightGoesInAfterItAndIsRefusedWhenThatOneDidNotMakeItsRevision()
    {
        await using var database = await OpenAsync();
        var store = await database.StoreAsync("ecs", CancellationToken.None);
        var other = await database.StoreAsync("ecs", CancellationToken.None);

        // Sent one after the other without waiting: the second waits for the first and goes in after it.
        var first = CommitLink.On(0);
        var second = CommitLink.Following(first);
        var sent = new[]
        {
            store.CommitAsync(first, [Mutation.Put("k", "a", Body("1"))], [], CancellationToken.None),
            store.CommitAsync(second, [Mutation.Put("k", "a", Body("2"))], [], CancellationToken.None),
        };
        Assert.Equal(new[] { 1L, 2L }, await Task.WhenAll(sent));

        // Sent before the one it follows (as when their connections race), it waits for that one rather than being refused.
        var third = CommitLink.Following(second);
        var fourth = CommitLink.Following(third);
        var early = store.CommitAsync(fourth, [Mutation.Put("k", "a", Body("4"))], [], CancellationToken.None);
        Assert.Equal(3, await store.CommitAsync(third, [Mutation.Put("k", "a", Body("3"))], [], CancellationToken.None));
        Assert.Equal(4, await early);

        // Chained on a commit refused because another writer took its revision: refused too, though the head stands at
        // the revision it expects — that revision is the other writer's, not what it was decided on.
        Assert.Equal(5, await other.CommitAsync(4, [Mutation.Put("k", "b", Body("other"))], [], CancellationToken.None));
        var refused = CommitLink.On(4);
        await Assert.ThrowsAsync<CommitConflictException>(() => store.CommitAsync(refused, [Mutation.Put("k", "a", Body("5"))], [], CancellationToken.None));
        await Assert.ThrowsAsync<CommitConflictException>(() => store.CommitAsync(CommitLink.Following(refused), [Mutation.Put("k", "z", Body("6"))], [], CancellationToken.None));

        var snapshot = await store.LoadSnapshotAsync(CancellationToken.None);
        Assert.Equal(5, snapshot.Revision);
        Assert.Equal([("a", "4"), ("b", "other")], snapshot.Documents.Select(d => (d.Id, Encoding.UTF8.GetString(d.Body))));
    }

    [Fact]
    public async Task AHeldHeadMakesOtherWritersWaitAndThenRefusesThem()
    {
        await using var database = await OpenAsync();
        var store = await database.StoreAsync("ecs", CancellationToken.None);
        var other = await database.StoreAsync("ecs", CancellationToken.None);
        Assert.Equal(1, await store.CommitAsync(0, [Mutation.Put("k", "a", Body("1"))], [], CancellationToken.None));

        await using (var hold = await store.HoldHeadAsync(CancellationToken.None))
        {
            // Under the hold: the journal as it is, and another writer's commit (decided on the same revision) waits.
            Assert.Equal(new[] { 1L }, (await hold.ChangesSinceAsync(0, CancellationToken.None))!.Select(e => e.Revision));
            var racing = other.CommitAsync(1, [Mutation.Put("k", "b", Body("other"))], [], CancellationToken.None);
            await Task.Delay(300);
            Assert.False(racing.IsCompleted);

            Assert.Equal(2, await hold.CommitAsync(1, [Mutation.Put("k", "a", Body("held"))], [], CancellationToken.None));
            await Assert.ThrowsAsync<CommitConflictException>(() => racing);
        }

        // A hold dropped without a commit writes nothing and lets the others through.
        await using (var hold = await store.HoldHeadAsync(CancellationToken.None))
        {
            Assert.Empty((await hold.ChangesSinceAsync(2, CancellationToken.None))!);
        }

        Assert.Equal(3, await other.CommitAsync(2, [Mutation.Put("k", "b", Body("after"))], [], CancellationToken.None));
        var snapshot = await store.LoadSnapshotAsync(CancellationToken.None);
        Assert.Equal(3, snapshot.Revision);
        Assert.Equal(new[] { "held", "after" }, snapshot.Documents.Select(d => Encoding.UTF8.GetString(d.Body)));
    }

    [Fact]
    public async Task TheJournalGivesEveryCommitInOrderAndNullOncePrunedPastTheReader()
    {
        var url = await postgres.Server.CreateDatabaseAsync();
        await using var database = await OpenAsync(url);
        var store = await database.StoreAsync("ecs", CancellationToken.None);
        for (var i = 0; i < 5; i++)
        {
            await store.CommitAsync(i, [Mutation.Put("k", $"d{i}", Body("x")), Mutation.Delete("k", "gone")], [], CancellationToken.None);
        }

        var changes = await store.ChangesSinceAsync(2, CancellationToken.None);
        Assert.NotNull(changes);
        Assert.Equal([3L, 4L, 5L], changes.Select(c => c.Revision));
        Assert.Equal([("k", "d2", true), ("k", "gone", false)], changes[0].Mutations.Select(m => (m.Kind, m.Id, m.Body is not null)));
        Assert.Empty((await store.ChangesSinceAsync(5, CancellationToken.None))!);

        await using (var source = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(url)))
        await using (var prune = source.CreateCommand("DELETE FROM berth_journal WHERE revision <= 3"))
        {
            await prune.ExecuteNonQueryAsync();
        }

        Assert.Null(await store.ChangesSinceAsync(1, CancellationToken.None));
        Assert.Equal([4L, 5L], (await store.ChangesSinceAsync(3, CancellationToken.None))!.Select(c => c.Revision));
    }

    [Fact]
    public async Task SeveralServersMigratingAtOnceMakeOneSchema()
    {
        var url = await postgres.Server.CreateDatabaseAsync();
        var databases = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostgresDatabase.OpenAsync(url, null, CancellationToken.None))));
        foreach (var database in databases)
        {
            await database.DisposeAsync();
        }

        await using var source = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(url));
        await using var versions = source.CreateCommand("SELECT array_agg(version ORDER BY version) FROM berth_migrations");
        Assert.Equal(Enumerable.Range(1, PostgresDatabase.SchemaVersion), (int[])(await versions.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task AnotherServersCommitWakesTheSubscribersOfItsNamespace()
    {
        var url = await postgres.Server.CreateDatabaseAsync();
        await using var listening = await OpenAsync(url);
        await using var writing = await OpenAsync(url);
        var woken = new TaskCompletionSource<long?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var otherWoken = false;
        listening.Subscribe("ecs", revision => woken.TrySetResult(revision));
        listening.Subscribe("registry", _ => otherWoken = true);
        var store = await writing.StoreAsync("ecs", CancellationToken.None);

        // A subscription is woken once at once, with no revision (a commit may have come before it); then every commit
        // wakes it with the commit's revision.
        Assert.Null(await woken.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await listening.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        woken = new TaskCompletionSource<long?>(TaskCreationOptions.RunContinuationsAsynchronously);
        otherWoken = false;
        await store.CommitAsync(0, [Mutation.Put("k", "a", Body("x"))], [], CancellationToken.None);
        Assert.Equal(1, await woken.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(otherWoken);
    }
}
