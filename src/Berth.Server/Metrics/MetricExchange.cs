using System.Text;
using System.Text.Json;
using Berth.CloudWatch.Alarms;
using Berth.CloudWatch.Model;
using Berth.CloudWatch.Store;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Berth.Server.Metrics;

/// <summary>
/// Shares CloudWatch metrics and alarms between several servers through their PostgreSQL database. Each server keeps
/// its metrics and alarms in memory (<see cref="MetricStore"/>, <see cref="AlarmBook"/>) and every
/// <see cref="Interval"/> writes what changed in them since the last time and applies the other servers' changes, so
/// every server (the one leading the scaling controllers above all) sees the metrics of every agent, load balancer and
/// client, and the alarms made through any server, Application Auto Scaling's included. Metrics: one row per metric,
/// period and unit added to (<c>berth_metric_changes</c>), kept an hour, which is also what a starting server loads.
/// Alarms: each alarm's newest configuration (<c>berth_metric_alarms</c>, a deletion kept an hour), all of it loaded by
/// a starting server; each server evaluates its alarms itself. Eventually consistent, as CloudWatch is: a change made
/// through one server is seen through another after an interval or two.
/// </summary>
public sealed partial class MetricExchange : IAsyncDisposable
{
    /// <summary>How long rows are kept (and how far back a starting server loads).</summary>
    public static readonly TimeSpan Kept = TimeSpan.FromHours(1);

    // A row numbered below one already read and still not visible after this is not coming.
    private static readonly TimeSpan HoleWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);
    private const int Page = 5_000;

    private readonly NpgsqlDataSource _source;
    private readonly MetricStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly FeedCursor _cursor = new(HoleWait);
    private readonly FeedCursor _alarmCursor = new(HoleWait);
    private readonly AlarmBook? _alarms;
    private readonly CancellationTokenSource _stopping = new();
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;
    private Task _loop = Task.CompletedTask;

    /// <summary>Exchanges the changes of <paramref name="store"/> and <paramref name="alarms"/> (both must record them) through <paramref name="source"/>'s database.</summary>
    public MetricExchange(NpgsqlDataSource source, MetricStore store, AlarmBook? alarms, TimeProvider time, ILogger logger)
    {
        if (!store.RecordsChanges || alarms is { RecordsChanges: false })
        {
            throw new ArgumentException("The store and the alarms must record their changes.", nameof(store));
        }

        _alarms = alarms;
        _source = source;
        _store = store;
        _time = time;
        _logger = logger;
    }

    /// <summary>How often changes are written and read (1 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Starts the loop.</summary>
    public void Start() => _loop = Task.Run(() => LoopAsync(_stopping.Token));

    /// <summary>Writes this server's changes, then reads and merges the others'.</summary>
    public async Task ExchangeAsync(CancellationToken cancellationToken)
    {
        await WriteAsync(cancellationToken);
        await WriteAlarmsAsync(cancellationToken);
        await ReadAsync(cancellationToken);
        await ReadAlarmsAsync(cancellationToken);
        var now = _time.GetUtcNow();
        if (now - _lastPrune >= PruneEvery)
        {
            _lastPrune = now;
            await using var prune = _source.CreateBatch();
            foreach (var sql in new[] { "DELETE FROM berth_metric_changes WHERE added_at < now() - $1::interval", "DELETE FROM berth_metric_alarms WHERE input IS NULL AND updated_at < now() - $1::interval" })
            {
                var command = new NpgsqlBatchCommand(sql);
                command.Parameters.AddWithValue(Kept);
                prune.BatchCommands.Add(command);
            }

            await prune.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Stops the loop and writes what is left.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await WriteAsync(timeout.Token);
            await WriteAlarmsAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            LogExchangeFailed(_logger, ex);
        }

        _stopping.Dispose();
    }

    private async Task LoopAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await ExchangeAsync(token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database is away: the changes stay for the next try, the other servers' rows stay in it.
                LogExchangeFailed(_logger, ex);
            }

            try
            {
                await Task.Delay(Interval, _time, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        var changes = _store.TakeChanges();
        if (changes.Count == 0)
        {
            return;
        }

        try
        {
            await using var insert = _source.CreateCommand(
                "INSERT INTO berth_metric_changes (origin, metric, period_start, unit, sample_count, sum, minimum, maximum) "
                + "SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::float8[])");
            insert.Parameters.AddWithValue(_origin);
            insert.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.Text, changes.Select(c => Encode(c.Key)).ToArray());
            insert.Parameters.AddWithValue(changes.Select(c => c.PeriodStart).ToArray());
            insert.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.Text, changes.Select(c => c.Unit).ToArray());
            insert.Parameters.AddWithValue(changes.Select(c => c.Values.SampleCount).ToArray());
            insert.Parameters.AddWithValue(changes.Select(c => c.Values.Sum).ToArray());
            insert.Parameters.AddWithValue(changes.Select(c => c.Values.Minimum).ToArray());
            insert.Parameters.AddWithValue(changes.Select(c => c.Values.Maximum).ToArray());
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            // Not written (or not known to be): kept for the next try. A write that did commit before its answer was
            // lost would count twice; PostgreSQL's answers are lost only with the connection, rarely.
            _store.ReturnChanges(changes);
            throw;
        }
    }

    private Task ReadAsync(CancellationToken cancellationToken)
        => ReadFeedAsync(
            _cursor,
            "SELECT id, origin, metric, period_start, unit, sample_count, sum, minimum, maximum FROM berth_metric_changes WHERE id > $1 ORDER BY id LIMIT $2",
            (reader, now) =>
            {
                var values = new Statistics(reader.GetDouble(5), reader.GetDouble(6), reader.GetDouble(7), reader.GetDouble(8));
                _store.Merge(new MetricChange(Decode(reader.GetString(2)), reader.GetInt64(3), reader.GetString(4), values), now);
            },
            cancellationToken);

    // Reads a table numbered by a sequence (its first column; its second, the server that wrote the row) from where
    // the cursor stands, page by page, and hands every other server's row not taken before to apply.
    private async Task ReadFeedAsync(FeedCursor cursor, string select, Action<NpgsqlDataReader, DateTimeOffset> apply, CancellationToken cancellationToken)
    {
        var after = cursor.Below;
        while (true)
        {
            await using var read = _source.CreateCommand(select);
            read.Parameters.AddWithValue(after);
            read.Parameters.AddWithValue(Page);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            var now = _time.GetUtcNow();
            var rows = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetInt64(0);
                if (rows++ == 0)
                {
                    cursor.StartAt(id);
                }

                after = id;
                if (cursor.Take(id, now) && reader.GetString(1) != _origin)
                {
                    apply(reader, now);
                }
            }

            cursor.Settle(now);
            if (rows < Page)
            {
                return;
            }
        }
    }

    // Each change an upsert of the alarm's row, in order, in one transaction; the version is drawn under the row's
    // lock, so a row's versions rise in the order its writers commit.
    private async Task WriteAlarmsAsync(CancellationToken cancellationToken)
    {
        if (_alarms is null)
        {
            return;
        }

        var changes = _alarms.TakeChanges();
        if (changes.Count == 0)
        {
            return;
        }

        try
        {
            await using var connection = await _source.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var change in changes)
            {
                var command = new NpgsqlBatchCommand(
                    "INSERT INTO berth_metric_alarms (name, version, origin, arn, input, owned_period_seconds) VALUES ($1, nextval('berth_metric_alarm_versions'), $2, $3, $4, $5) "
                    + "ON CONFLICT (name) DO UPDATE SET version = nextval('berth_metric_alarm_versions'), origin = excluded.origin, arn = excluded.arn, input = excluded.input, owned_period_seconds = excluded.owned_period_seconds, updated_at = now()");
                command.Parameters.AddWithValue(change.Name);
                command.Parameters.AddWithValue(_origin);
                command.Parameters.AddWithValue(NpgsqlDbType.Text, (object?)change.Arn ?? DBNull.Value);
                command.Parameters.AddWithValue(NpgsqlDbType.Text, change.Input is null ? DBNull.Value : JsonSerializer.Serialize(change.Input, WireJsonContext.Default.PutMetricAlarmInput));
                command.Parameters.AddWithValue(NpgsqlDbType.Integer, change.OwnedPeriod is { } period ? (int)period.TotalSeconds : DBNull.Value);
                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            _alarms.ReturnChanges(changes);
            throw;
        }
    }

    private Task ReadAlarmsAsync(CancellationToken cancellationToken)
    {
        if (_alarms is not { } alarms)
        {
            return Task.CompletedTask;
        }

        return ReadFeedAsync(
            _alarmCursor,
            "SELECT version, origin, name, arn, input, owned_period_seconds FROM berth_metric_alarms WHERE version > $1 ORDER BY version LIMIT $2",
            (reader, _) =>
            {
                // A change made here and not written yet is newer than any row of the same alarm read now.
                var name = reader.GetString(2);
                if (alarms.HasChangeOf(name))
                {
                    return;
                }

                var input = reader.IsDBNull(4) ? null : JsonSerializer.Deserialize(reader.GetString(4), WireJsonContext.Default.PutMetricAlarmInput);
                TimeSpan? owned = reader.IsDBNull(5) ? null : TimeSpan.FromSeconds(reader.GetInt32(5));
                try
                {
                    alarms.Apply(new AlarmChange(name, reader.IsDBNull(3) ? null : reader.GetString(3), input, owned));
                }
                catch (Protocol.Errors.AwsException ex)
                {
                    // Refused here though accepted where it was made (a newer server's check): skipped, not retried.
                    LogAlarmRefused(_logger, name, ex.Message);
                }
            },
            cancellationToken);
    }

    // A metric as one text: its namespace, name and dimensions as a JSON array.
    internal static string Encode(MetricKey key)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            json.WriteStringValue(key.Namespace);
            json.WriteStringValue(key.MetricName);
            foreach (var (name, value) in key.Dimensions)
            {
                json.WriteStringValue(name);
                json.WriteStringValue(value);
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static MetricKey Decode(string text)
    {
        using var json = JsonDocument.Parse(text);
        var items = json.RootElement.EnumerateArray().Select(e => e.GetString()!).ToArray();
        var dimensions = new List<KeyValuePair<string, string>>();
        for (var i = 2; i + 1 < items.Length; i += 2)
        {
            dimensions.Add(new KeyValuePair<string, string>(items[i], items[i + 1]));
        }

        return new MetricKey(items[0], items[1], dimensions);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alarm {Name} from another server was refused here: {Reason}")]
    private static partial void LogAlarmRefused(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Exchanging metrics with the other servers failed; trying again")]
    private static partial void LogExchangeFailed(ILogger logger, Exception exception);
}
