using Berth.Logs.Ingest;
using Berth.Logs.Paging;
using Berth.Logs.Storage;
using Berth.Storage.Postgres;
using Berth.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Logs.Tests;

/// <summary>
/// The log store several servers share, on a real PostgreSQL: the same contract as on SQLite, and two servers' stores
/// over one database see each other's writes and append to the same streams without loss, duplicates or reordering.
/// </summary>
public sealed class PostgresLogStoreTests(PostgresFixture fixture) : LogStoreContract, IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private readonly List<PostgresDatabase> _databases = [];
    private string _url = string.Empty;

    public async Task InitializeAsync() => _url = await fixture.Server.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }
    }

    // Each open is a server of its own: its own connection pool over the shared database.
    protected override async Task<LogStore> OpenAsync()
    {
        var database = await PostgresDatabase.OpenAsync(_url, NullLogger.Instance, CancellationToken.None);
        _databases.Add(database);
        return LogStore.OpenShared(database.Source, NullLogger.Instance);
    }

    [Fact]
    public async Task Two_servers_see_each_others_groups_and_append_to_the_same_streams_without_loss_or_duplicates()
    {
        var now = 1_800_000_000_000L;
        await using var one = await OpenAsync();
        await using var two = await OpenAsync();
        await one.CreateGroupAsync(Region, "shared", now, null, null);
        await two.CreateStreamAsync(Region, "shared", "a", now);
        await one.CreateStreamAsync(Region, "shared", "b", now);
        Assert.Equal("ResourceAlreadyExistsException", (await Assert.ThrowsAsync<Protocol.Errors.AwsException>(() => two.CreateGroupAsync(Region, "shared", now, null, null))).ErrorType);

        // Both servers append to both streams at once, in opposite orders within their commits: the lost races
        // PostgreSQL breaks run again, and every event lands once.
        var puts = new List<Task>();
        for (var b = 0; b < 40; b++)
        {
            var (first, second) = b % 2 == 0 ? ("a", "b") : ("b", "a");
            puts.Add(one.PutEventsAsync(Region, "shared", first, null, Events(now + (b * 1000), 100), now, EventLimits.Check));
            puts.Add(two.PutEventsAsync(Region, "shared", second, null, Events(now + (b * 1000) + 500, 100), now, EventLimits.Check));
            puts.Add(one.PutEventsAsync(Region, "shared", second, null, Events(now + (b * 1000) + 200, 50), now, EventLimits.Check));
            puts.Add(two.PutEventsAsync(Region, "shared", first, null, Events(now + (b * 1000) + 700, 50), now, EventLimits.Check));
        }

        await Task.WhenAll(puts);
        var group = one.FindGroup(Region, "shared")!;
        long storedBytes = 0;
        foreach (var name in new[] { "a", "b" })
        {
            var stream = two.FindStream(group.Id, name)!;
            var rows = one.ReadStream(stream.Id, long.MinValue, long.MaxValue, EventPosition.Start, EventPosition.End, 100_000, forward: true);
            Assert.Equal(40 * 150, rows.Count);
            Assert.Equal(rows.Count, rows.Select(r => r.Seq).Distinct().Count());
            Assert.Equal(rows.Max(r => r.Seq), stream.LastSeq);
            Assert.Equal(rows.Sum(r => (long)r.Message.Length), stream.StoredBytes);
            storedBytes += stream.StoredBytes;
        }

        Assert.Equal(storedBytes, two.FindGroup(Region, "shared")!.StoredBytes);
        Assert.Equal(2 * 40 * 150, two.ReadGroup(group.Id, long.MinValue, long.MaxValue, EventPosition.Start, 100_000).Count);
    }

    [Fact]
    public async Task A_batch_sent_again_through_another_server_is_DataAlreadyAccepted()
    {
        var now = 1_800_000_000_000L;
        await using var one = await OpenAsync();
        await using var two = await OpenAsync();
        await one.CreateGroupAsync(Region, "g", now, null, null);
        await one.CreateStreamAsync(Region, "g", "s", now);
        await one.PutEventsAsync(Region, "g", "s", "berth-1-1", Events(now, 3), now, EventLimits.Check);
        var again = await Assert.ThrowsAsync<Protocol.Errors.AwsException>(() => two.PutEventsAsync(Region, "g", "s", "berth-1-1", Events(now, 3), now, EventLimits.Check));
        Assert.Equal("DataAlreadyAcceptedException", again.ErrorType);
        Assert.Equal(3, two.ReadGroup(two.FindGroup(Region, "g")!.Id, long.MinValue, long.MaxValue, EventPosition.Start, 100).Count);
    }

    [Fact]
    public async Task Log_groups_list_in_CloudWatchs_byte_order()
    {
        var now = 1_800_000_000_000L;
        await using var store = await OpenAsync();
        foreach (var name in new[] { "b", "B", "a-x", "a_x", "/ecs/z", "a" })
        {
            await store.CreateGroupAsync(Region, name, now, null, null);
        }

        Assert.Equal(["/ecs/z", "B", "a", "a-x", "a_x", "b"], store.ListGroups(Region, null).Select(g => g.Name));
        Assert.Equal(["a", "a-x", "a_x"], store.ListGroups(Region, "a").Select(g => g.Name));
    }
}
