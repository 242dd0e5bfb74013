using Berth.Logs.Ingest;
using Berth.Logs.Model;
using Berth.Logs.Paging;
using Berth.Logs.Retention;
using Berth.Logs.Storage;
using Berth.Protocol.Errors;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Logs.Tests;

/// <summary>
/// The log store's contract, on each of its databases: puts are durable across a reopen, refusals write nothing,
/// retention frees bytes.
/// </summary>
public abstract class LogStoreContract
{
    protected const string Region = "us-east-1";

    /// <summary>Opens the store again over the same storage (the test disposes it).</summary>
    protected abstract Task<LogStore> OpenAsync();

    protected static List<InputLogEvent> Events(long from, int count) => [.. Enumerable.Range(0, count).Select(i => new InputLogEvent { Timestamp = from + i, Message = $"line {i}" })];

    [Fact]
    public async Task Acknowledged_events_are_there_after_a_reopen_in_order()
    {
        var now = 1_800_000_000_000L;
        await using (var store = await OpenAsync())
        {
            await store.CreateGroupAsync(Region, "g", now, null, null);
            await store.CreateStreamAsync(Region, "g", "s", now);
            await Task.WhenAll(Enumerable.Range(0, 20).Select(b => store.PutEventsAsync(Region, "g", "s", null, Events(now + (b * 100), 50), now, EventLimits.Check)));
        }

        await using (var store = await OpenAsync())
        {
            var group = store.FindGroup(Region, "g")!;
            var stream = store.FindStream(group.Id, "s")!;
            var rows = store.ReadStream(stream.Id, long.MinValue, long.MaxValue, EventPosition.Start, EventPosition.End, 10_000, forward: true);
            Assert.Equal(1000, rows.Count);
            Assert.Equal(rows.OrderBy(r => r.Timestamp).ThenBy(r => r.Seq).Select(r => r.Seq), rows.Select(r => r.Seq));
            Assert.Equal(rows.Sum(r => (long)r.Message.Length), group.StoredBytes);

            // Sequence numbers go on after the reopen: event ids stay unique.
            await store.PutEventsAsync(Region, "g", "s", null, Events(now + 5000, 1), now, EventLimits.Check);
            var last = store.ReadStream(stream.Id, long.MinValue, long.MaxValue, EventPosition.Start, EventPosition.End, 1, forward: false);
            Assert.True(last[0].Seq > rows.Max(r => r.Seq));
        }
    }

    [Fact]
    public async Task A_batch_sent_again_with_its_token_is_DataAlreadyAccepted_and_stored_once()
    {
        var now = 1_800_000_000_000L;
        await using var store = await OpenAsync();
        await store.CreateGroupAsync(Region, "g", now, null, null);
        await store.CreateStreamAsync(Region, "g", "s", now);
        await store.PutEventsAsync(Region, "g", "s", "berth-1-1", Events(now, 3), now, EventLimits.Check);
        var again = await Assert.ThrowsAsync<AwsException>(() => store.PutEventsAsync(Region, "g", "s", "berth-1-1", Events(now, 3), now, EventLimits.Check));
        Assert.Equal("DataAlreadyAcceptedException", again.ErrorType);
        await store.PutEventsAsync(Region, "g", "s", "berth-4-1", Events(now + 3, 3), now, EventLimits.Check);
        var group = store.FindGroup(Region, "g")!;
        Assert.Equal(6, store.ReadGroup(group.Id, long.MinValue, long.MaxValue, EventPosition.Start, 100).Count);
    }

    [Fact]
    public async Task Refused_writes_leave_nothing_behind()
    {
        var now = 1_800_000_000_000L;
        await using var store = await OpenAsync();
        Assert.Equal("ResourceNotFoundException", (await Assert.ThrowsAsync<AwsException>(() => store.CreateStreamAsync(Region, "none", "s", now))).ErrorType);
        await store.CreateGroupAsync(Region, "g", now, null, null);
        Assert.Equal("ResourceAlreadyExistsException", (await Assert.ThrowsAsync<AwsException>(() => store.CreateGroupAsync(Region, "g", now, null, null))).ErrorType);
        Assert.Equal("ResourceNotFoundException", (await Assert.ThrowsAsync<AwsException>(() => store.PutEventsAsync(Region, "g", "missing", null, Events(now, 1), now, EventLimits.Check))).ErrorType);
        Assert.Single(store.ListGroups(Region, null));
        Assert.Empty(store.ListStreams(store.FindGroup(Region, "g")!.Id));
    }

    [Fact]
    public async Task Retention_deletes_expired_events_and_storedBytes_shrinks()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var store = await OpenAsync();
        await store.CreateGroupAsync(Region, "g", now, null, null);
        await store.CreateStreamAsync(Region, "g", "s", now);
        await store.PutEventsAsync(Region, "g", "s", null, Events(now - (3L * 86_400_000), 7_000), now, EventLimits.Check);
        await store.PutEventsAsync(Region, "g", "s", null, Events(now, 5), now, EventLimits.Check);
        var before = store.FindGroup(Region, "g")!.StoredBytes;
        await store.SetRetentionAsync(Region, "g", 1);
        var sweeper = new RetentionSweeper(store, time, TimeSpan.FromMinutes(1), NullLogger.Instance);
        Assert.Equal(7_000, await sweeper.SweepAsync());
        var group = store.FindGroup(Region, "g")!;
        Assert.True(group.StoredBytes < before);
        Assert.Equal(5 * "line 0".Length, group.StoredBytes);
        Assert.Equal(5, store.ReadGroup(group.Id, long.MinValue, long.MaxValue, EventPosition.Start, 100).Count);
    }

    [Fact]
    public async Task Retention_sweeps_only_while_this_server_sweeps()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var store = await OpenAsync();
        await store.CreateGroupAsync(Region, "g", now, null, null);
        await store.CreateStreamAsync(Region, "g", "s", now);
        await store.PutEventsAsync(Region, "g", "s", null, Events(now - (3L * 86_400_000), 10), now, EventLimits.Check);
        await store.SetRetentionAsync(Region, "g", 1);
        var id = store.FindGroup(Region, "g")!.Id;

        // Another server leads: this one's loop passes its sweeps by (the first runs at once, the next a minute on).
        var leads = false;
        var asked = new SemaphoreSlim(0);
        await using var sweeper = new RetentionSweeper(store, time, TimeSpan.FromMinutes(1), NullLogger.Instance)
        {
            Sweeps = () =>
            {
                asked.Release();
                return Volatile.Read(ref leads);
            },
        };
        sweeper.Start();
        Assert.True(await asked.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(10, store.ReadGroup(id, long.MinValue, long.MaxValue, EventPosition.Start, 100).Count);

        // This one leads now: its next sweep deletes.
        leads = true;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (store.ReadGroup(id, long.MinValue, long.MaxValue, EventPosition.Start, 100).Count > 0 && DateTime.UtcNow < deadline)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            await asked.WaitAsync(TimeSpan.FromSeconds(1));
        }

        Assert.Empty(store.ReadGroup(id, long.MinValue, long.MaxValue, EventPosition.Start, 100));
    }
}

/// <summary>The log store of one server, on a real SQLite file.</summary>
public sealed class SqliteLogStoreTests : LogStoreContract, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "berth-logstore-" + Guid.NewGuid().ToString("N"));

    public SqliteLogStoreTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    protected override Task<LogStore> OpenAsync() => LogStore.OpenAsync(Path.Combine(_dir, LogStore.FileName), NullLogger.Instance);
}
