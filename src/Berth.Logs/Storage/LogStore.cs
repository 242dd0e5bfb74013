using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Berth.Logs.Model;
using Berth.Logs.Paging;
using Berth.Protocol.Errors;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Berth.Logs.Storage;

/// <summary>
/// CloudWatch Logs' storage: its own SQLite file (<c>logs.db</c>, WAL, <c>synchronous=FULL</c>), apart from the ECS state
/// and its commit pipeline, so ingest never waits on the control plane's writer. One writer thread takes every waiting
/// write (puts of many streams, creates, deletes, retention sweeps) into one transaction, each write in its own
/// savepoint so a refused one writes nothing, and answers the callers only after the commit's fsync: an acknowledged
/// event survives kill -9. Events are rows indexed by (stream, timestamp, seq) and (group, timestamp, seq); readers use
/// their own connections and never wait on the writer.
/// </summary>
public sealed partial class LogStore : IAsyncDisposable
{
    /// <summary>The database file inside the data dir.</summary>
    public const string FileName = "logs.db";

    private const int MaxOpsPerCommit = 512;

    private static readonly string[] Pragmas = ["PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;", "PRAGMA busy_timeout=5000;"];

    private static readonly string[] Schema =
    [
        "CREATE TABLE IF NOT EXISTS groups (id INTEGER PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL, retention INTEGER, kms TEXT, tags TEXT NOT NULL, stored_bytes INTEGER NOT NULL DEFAULT 0, UNIQUE (region, name));",
        "CREATE TABLE IF NOT EXISTS streams (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER, stored_bytes INTEGER NOT NULL DEFAULT 0, last_token TEXT, last_seq INTEGER NOT NULL DEFAULT 0, UNIQUE (group_id, name));",
        "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, stream_id INTEGER NOT NULL, ts INTEGER NOT NULL, ingest INTEGER NOT NULL, message TEXT NOT NULL);",
        "CREATE INDEX IF NOT EXISTS events_by_stream ON events (stream_id, ts, seq);",
        "CREATE INDEX IF NOT EXISTS events_by_group ON events (group_id, ts, seq);",
    ];

    private readonly Channel<WriteOp> _writes = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _writer;
    private readonly string _readString;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private long _seq;

    private LogStore(SqliteConnection writer, string readString, long seq, ILogger logger)
    {
        _writer = writer;
        _readString = readString;
        _seq = seq;
        _logger = logger;
        _loop = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    public static async Task<LogStore> OpenAsync(string path, ILogger logger, CancellationToken cancellationToken = default)
    {
        var writer = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        await writer.OpenAsync(cancellationToken);
        foreach (var sql in Pragmas.Concat(Schema))
        {
            Execute(writer, sql);
        }

        using var max = writer.CreateCommand();
        max.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM events";
        var seq = (long)(await max.ExecuteScalarAsync(cancellationToken))!;
        using var maxStream = writer.CreateCommand();
        maxStream.CommandText = "SELECT COALESCE(MAX(last_seq), 0) FROM streams";
        seq = Math.Max(seq, (long)(await maxStream.ExecuteScalarAsync(cancellationToken))!);
        var read = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
        return new LogStore(writer, read, seq, logger);
    }

    // ---------------------------------------------------------------- writes

    /// <summary>Creates a group; ResourceAlreadyExistsException when it exists.</summary>
    public Task CreateGroupAsync(string region, string name, long createdMs, string? kmsKeyId, IReadOnlyDictionary<string, string>? tags)
        => WriteAsync(c =>
        {
            if (FindGroup(c, region, name) is not null)
            {
                throw new AwsException("ResourceAlreadyExistsException", "The specified log group already exists");
            }

            Run(c, "INSERT INTO groups (region, name, created, kms, tags) VALUES ($r, $n, $c, $k, $t)",
                ("$r", region), ("$n", name), ("$c", createdMs), ("$k", kmsKeyId), ("$t", TagsJson(tags ?? new Dictionary<string, string>())));
            return null;
        });

    /// <summary>Deletes a group with its streams and events.</summary>
    public Task DeleteGroupAsync(string region, string name)
        => WriteAsync(c =>
        {
            var group = RequireGroup(c, region, name);
            Run(c, "DELETE FROM events WHERE group_id = $g", ("$g", group.Id));
            Run(c, "DELETE FROM streams WHERE group_id = $g", ("$g", group.Id));
            Run(c, "DELETE FROM groups WHERE id = $g", ("$g", group.Id));
            return null;
        });

    /// <summary>Creates a stream in an existing group.</summary>
    public Task CreateStreamAsync(string region, string group, string name, long createdMs)
        => WriteAsync(c =>
        {
            var g = RequireGroup(c, region, group);
            if (FindStream(c, g.Id, name) is not null)
            {
                throw new AwsException("ResourceAlreadyExistsException", "The specified log stream already exists");
            }

            Run(c, "INSERT INTO streams (group_id, name, created) VALUES ($g, $n, $c)", ("$g", g.Id), ("$n", name), ("$c", createdMs));
            return null;
        });

    /// <summary>Deletes a stream and its events.</summary>
    public Task DeleteStreamAsync(string region, string group, string name)
        => WriteAsync(c =>
        {
            var g = RequireGroup(c, region, group);
            var s = FindStream(c, g.Id, name) ?? throw StreamNotFound();
            Run(c, "DELETE FROM events WHERE stream_id = $s", ("$s", s.Id));
            Run(c, "DELETE FROM streams WHERE id = $s", ("$s", s.Id));
            Run(c, "UPDATE groups SET stored_bytes = MAX(0, stored_bytes - $b) WHERE id = $g", ("$b", s.StoredBytes), ("$g", g.Id));
            return null;
        });

    /// <summary>Sets (or with null removes) a group's retention.</summary>
    public Task SetRetentionAsync(string region, string group, int? days)
        => WriteAsync(c =>
        {
            var g = RequireGroup(c, region, group);
            Run(c, "UPDATE groups SET retention = $d WHERE id = $g", ("$d", days), ("$g", g.Id));
            return null;
        });

    /// <summary>Adds or replaces tags, or removes the keys in <paramref name="remove"/>.</summary>
    public Task TagAsync(string region, string group, IReadOnlyDictionary<string, string>? add, IReadOnlyList<string>? remove)
        => WriteAsync(c =>
        {
            var g = RequireGroup(c, region, group);
            var tags = new Dictionary<string, string>(g.Tags, StringComparer.Ordinal);
            foreach (var (k, v) in add ?? new Dictionary<string, string>())
            {
                tags[k] = v;
            }

            foreach (var k in remove ?? [])
            {
                tags.Remove(k);
            }

            if (tags.Count > 50)
            {
                throw new AwsException("TooManyTagsException", "A resource can have no more than 50 tags.");
            }

            Run(c, "UPDATE groups SET tags = $t WHERE id = $g", ("$t", TagsJson(tags)), ("$g", g.Id));
            return null;
        });

    /// <summary>
    /// Appends a batch to a stream. <paramref name="check"/> decides, inside the writer and with the group's retention
    /// as it is at that moment, which events are kept. A non-null <paramref name="sequenceToken"/> equal to the one the
    /// stream's last accepted batch carried is that batch sent again: DataAlreadyAcceptedException, nothing written.
    /// </summary>
    public async Task<(RejectedLogEventsInfo? Rejected, string NextToken)> PutEventsAsync(
        string region, string group, string stream, string? sequenceToken, IReadOnlyList<InputLogEvent> events, long nowMs, Func<IReadOnlyList<InputLogEvent>, long, int?, Ingest.BatchVerdict> check)
    {
        var result = await WriteAsync(c =>
        {
            var g = RequireGroup(c, region, group);
            var s = FindStream(c, g.Id, stream) ?? throw StreamNotFound();
            if (sequenceToken is not null && sequenceToken == s.LastToken)
            {
                throw new AwsException("DataAlreadyAcceptedException", "The given batch of log events has already been accepted. The next batch can be sent with sequenceToken: " + UploadToken(s.LastSeq));
            }

            var verdict = check(events, nowMs, g.RetentionDays);
            long bytes = 0;
            long? first = s.FirstEventTimestamp;
            long? last = s.LastEventTimestamp;
            var insert = c.Insert;
            for (var i = verdict.Start; i < verdict.End; i++)
            {
                var e = events[i];
                var ts = e.Timestamp!.Value;
                bytes += insert.Run(++_seq, g.Id, s.Id, ts, nowMs, e.Message!);
                first = first is { } f ? Math.Min(f, ts) : ts;
                last = last is { } l ? Math.Max(l, ts) : ts;
            }

            var seq = verdict.End > verdict.Start ? _seq : s.LastSeq;
            Run(c, "UPDATE streams SET first_ts = $f, last_ts = $l, last_ingest = $i, stored_bytes = stored_bytes + $b, last_token = COALESCE($t, last_token), last_seq = $q WHERE id = $s",
                ("$f", first), ("$l", last), ("$i", verdict.End > verdict.Start ? nowMs : s.LastIngestionTime), ("$b", bytes), ("$t", sequenceToken), ("$q", seq), ("$s", s.Id));
            if (bytes > 0)
            {
                Run(c, "UPDATE groups SET stored_bytes = stored_bytes + $b WHERE id = $g", ("$b", bytes), ("$g", g.Id));
            }

            return (verdict.Rejected, UploadToken(seq));
        });
        return ((RejectedLogEventsInfo?, string))result!;
    }

    /// <summary>Deletes up to <paramref name="max"/> events of a group older than <paramref name="cutoffMs"/>; returns how many.</summary>
    public async Task<int> ExpireAsync(long groupId, long cutoffMs, int max)
    {
        var result = await WriteAsync(c =>
        {
            var freed = new Dictionary<long, long>();
            var count = 0;
            using (var command = c.Connection.CreateCommand())
            {
                command.Transaction = c.Transaction;
                command.CommandText = "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE group_id = $g AND ts < $c ORDER BY group_id, ts LIMIT $m) RETURNING stream_id, message";
                command.Parameters.AddWithValue("$g", groupId);
                command.Parameters.AddWithValue("$c", cutoffMs);
                command.Parameters.AddWithValue("$m", max);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var stream = reader.GetInt64(0);
                    freed[stream] = freed.GetValueOrDefault(stream) + Encoding.UTF8.GetByteCount(reader.GetString(1));
                    count++;
                }
            }

            long total = 0;
            foreach (var (stream, bytes) in freed)
            {
                Run(c, "UPDATE streams SET stored_bytes = MAX(0, stored_bytes - $b) WHERE id = $s", ("$b", bytes), ("$s", stream));
                total += bytes;
            }

            if (total > 0)
            {
                Run(c, "UPDATE groups SET stored_bytes = MAX(0, stored_bytes - $b) WHERE id = $g", ("$b", total), ("$g", groupId));
            }

            return count;
        });
        return (int)result!;
    }

    // ---------------------------------------------------------------- reads

    /// <summary>The group named <paramref name="name"/> in <paramref name="region"/>, or null.</summary>
    public GroupRow? FindGroup(string region, string name)
    {
        using var connection = OpenRead();
        return ReadGroups(connection, "SELECT id, region, name, created, retention, kms, tags, stored_bytes FROM groups WHERE region = $r AND name = $n", ("$r", region), ("$n", name)).FirstOrDefault();
    }

    /// <summary>Groups of a region ordered by name, those whose name starts with <paramref name="prefix"/> (null: all).</summary>
    public List<GroupRow> ListGroups(string region, string? prefix)
    {
        using var connection = OpenRead();
        return prefix is null
            ? ReadGroups(connection, "SELECT id, region, name, created, retention, kms, tags, stored_bytes FROM groups WHERE region = $r ORDER BY name", ("$r", region))
            : ReadGroups(connection, "SELECT id, region, name, created, retention, kms, tags, stored_bytes FROM groups WHERE region = $r AND substr(name, 1, length($p)) = $p ORDER BY name", ("$r", region), ("$p", prefix));
    }

    /// <summary>Every group of every region with a retention set (for the retention sweep).</summary>
    public List<GroupRow> GroupsWithRetention()
    {
        using var connection = OpenRead();
        return ReadGroups(connection, "SELECT id, region, name, created, retention, kms, tags, stored_bytes FROM groups WHERE retention IS NOT NULL");
    }

    /// <summary>A group's streams ordered by name.</summary>
    public List<StreamRow> ListStreams(long groupId)
    {
        using var connection = OpenRead();
        return ReadStreams(connection, "SELECT id, group_id, name, created, first_ts, last_ts, last_ingest, stored_bytes, last_token, last_seq FROM streams WHERE group_id = $g ORDER BY name", ("$g", groupId));
    }

    /// <summary>One stream of a group, or null.</summary>
    public StreamRow? FindStream(long groupId, string name)
    {
        using var connection = OpenRead();
        return ReadStreams(connection, "SELECT id, group_id, name, created, first_ts, last_ts, last_ingest, stored_bytes, last_token, last_seq FROM streams WHERE group_id = $g AND name = $n", ("$g", groupId), ("$n", name)).FirstOrDefault();
    }

    /// <summary>
    /// Events of one stream with <paramref name="fromMs"/> ≤ timestamp &lt; <paramref name="toMs"/>, strictly after
    /// <paramref name="after"/> and before <paramref name="before"/>; forward in order, or backward from the end (still
    /// returned oldest first).
    /// </summary>
    public List<EventRow> ReadStream(long streamId, long fromMs, long toMs, EventPosition after, EventPosition before, int limit, bool forward)
    {
        using var connection = OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT stream_id, ts, seq, ingest, message FROM events WHERE stream_id = $s AND ts >= $from AND ts < $to "
            + "AND (ts > $ats OR (ts = $ats AND seq > $aseq)) AND (ts < $bts OR (ts = $bts AND seq < $bseq)) "
            + (forward ? "ORDER BY stream_id, ts, seq" : "ORDER BY stream_id DESC, ts DESC, seq DESC") + " LIMIT $limit";
        command.Parameters.AddWithValue("$s", streamId);
        command.Parameters.AddWithValue("$from", fromMs);
        command.Parameters.AddWithValue("$to", toMs);
        command.Parameters.AddWithValue("$ats", after.Timestamp);
        command.Parameters.AddWithValue("$aseq", after.Seq);
        command.Parameters.AddWithValue("$bts", before.Timestamp);
        command.Parameters.AddWithValue("$bseq", before.Seq);
        command.Parameters.AddWithValue("$limit", limit);
        var rows = ReadEvents(command);
        if (!forward)
        {
            rows.Reverse();
        }

        return rows;
    }

    /// <summary>Events of a group in (timestamp, seq) order after <paramref name="after"/> with <paramref name="fromMs"/> ≤ timestamp ≤ <paramref name="toMs"/>.</summary>
    public List<EventRow> ReadGroup(long groupId, long fromMs, long toMs, EventPosition after, int limit)
    {
        using var connection = OpenRead();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT stream_id, ts, seq, ingest, message FROM events WHERE group_id = $g AND ts >= $from AND ts <= $to "
            + "AND (ts > $ats OR (ts = $ats AND seq > $aseq)) ORDER BY group_id, ts, seq LIMIT $limit";
        command.Parameters.AddWithValue("$g", groupId);
        command.Parameters.AddWithValue("$from", fromMs);
        command.Parameters.AddWithValue("$to", toMs);
        command.Parameters.AddWithValue("$ats", after.Timestamp);
        command.Parameters.AddWithValue("$aseq", after.Seq);
        command.Parameters.AddWithValue("$limit", limit);
        return ReadEvents(command);
    }

    /// <summary>Stops taking writes, finishes those already taken, and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _loop;
        await _writer.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    // ---------------------------------------------------------------- writer

    private Task<object?> WriteAsync(Func<WriteContext, object?> body)
    {
        var op = new WriteOp(body);
        if (!_writes.Writer.TryWrite(op))
        {
            throw AwsException.Server("The log store is closed.");
        }

        return op.Done.Task;
    }

    private async Task WriteLoop()
    {
        using var insert = new EventInsert(_writer);
        var batch = new List<WriteOp>();
        while (await _writes.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxOpsPerCommit && _writes.Reader.TryRead(out var op))
            {
                batch.Add(op);
            }

            var seqBefore = _seq;
            try
            {
                using var transaction = _writer.BeginTransaction();
                var context = new WriteContext(_writer, transaction, insert);
                foreach (var op in batch)
                {
                    Execute(_writer, transaction, "SAVEPOINT op");
                    var seqAtOp = _seq;
                    try
                    {
                        op.Result = op.Body(context);
                        Execute(_writer, transaction, "RELEASE op");
                    }
                    catch (Exception ex)
                    {
                        Execute(_writer, transaction, "ROLLBACK TO op");
                        Execute(_writer, transaction, "RELEASE op");
                        _seq = seqAtOp;
                        op.Error = ex is AwsException ? ex : IsFull(ex) ? StorageFull.Error() : AwsException.Server("The log store failed: " + ex.Message);
                        if (ex is not AwsException)
                        {
                            LogWriteFailed(_logger, ex);
                        }
                    }
                }

                // With synchronous=FULL the commit returns after the WAL's fsync: only then is anyone answered.
                transaction.Commit();
            }
            catch (Exception ex)
            {
                LogCommitFailed(_logger, batch.Count, ex);
                _seq = seqBefore;
                foreach (var op in batch)
                {
                    op.Error = IsFull(ex) ? StorageFull.Error() : AwsException.Server("The log store could not commit.");
                }
            }

            foreach (var op in batch)
            {
                if (op.Error is { } error)
                {
                    op.Done.TrySetException(error);
                }
                else
                {
                    op.Done.TrySetResult(op.Result);
                }
            }
        }
    }

    private static GroupRow RequireGroup(WriteContext c, string region, string name)
        => FindGroup(c, region, name) ?? throw new AwsException("ResourceNotFoundException", "The specified log group does not exist.");

    private static AwsException StreamNotFound() => new("ResourceNotFoundException", "The specified log stream does not exist.");

    private static GroupRow? FindGroup(WriteContext c, string region, string name)
    {
        using var command = c.Connection.CreateCommand();
        command.Transaction = c.Transaction;
        command.CommandText = "SELECT id, region, name, created, retention, kms, tags, stored_bytes FROM groups WHERE region = $r AND name = $n";
        command.Parameters.AddWithValue("$r", region);
        command.Parameters.AddWithValue("$n", name);
        return ReadGroups(command).FirstOrDefault();
    }

    private static StreamRow? FindStream(WriteContext c, long groupId, string name)
    {
        using var command = c.Connection.CreateCommand();
        command.Transaction = c.Transaction;
        command.CommandText = "SELECT id, group_id, name, created, first_ts, last_ts, last_ingest, stored_bytes, last_token, last_seq FROM streams WHERE group_id = $g AND name = $n";
        command.Parameters.AddWithValue("$g", groupId);
        command.Parameters.AddWithValue("$n", name);
        return ReadStreams(command).FirstOrDefault();
    }

    private static void Run(WriteContext c, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = c.Connection.CreateCommand();
        command.Transaction = c.Transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    // SQLITE_FULL (13), or the file system's own "no space left".
    private static bool IsFull(Exception ex) => ex is SqliteException { SqliteErrorCode: 13 } || StorageFull.IsIoFull(ex);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    // ---------------------------------------------------------------- row readers

    private SqliteConnection OpenRead()
    {
        var connection = new SqliteConnection(_readString);
        connection.Open();
        return connection;
    }

    private static List<GroupRow> ReadGroups(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return ReadGroups(command);
    }

    private static List<GroupRow> ReadGroups(SqliteCommand command)
    {
        var rows = new List<GroupRow>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(new GroupRow(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                JsonSerializer.Deserialize(reader.GetString(6), WireJsonContext.Default.DictionaryStringString) ?? [],
                reader.GetInt64(7)));
        }

        return rows;
    }

    private static List<StreamRow> ReadStreams(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return ReadStreams(command);
    }

    private static List<StreamRow> ReadStreams(SqliteCommand command)
    {
        var rows = new List<StreamRow>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(new StreamRow(
                reader.GetInt64(0),
                reader.GetInt64(1),
                reader.GetString(2),
                reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetInt64(6),
                reader.GetInt64(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.GetInt64(9)));
        }

        return rows;
    }

    private static List<EventRow> ReadEvents(SqliteCommand command)
    {
        var rows = new List<EventRow>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(new EventRow(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetString(4)));
        }

        return rows;
    }

    private static string TagsJson(IReadOnlyDictionary<string, string> tags)
        => JsonSerializer.Serialize(new Dictionary<string, string>(tags, StringComparer.Ordinal), WireJsonContext.Default.DictionaryStringString);

    // AWS's upload tokens are long digit strings; this one names the stream's last stored event.
    private static string UploadToken(long seq) => "49" + seq.ToString("D54", System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Error, Message = "A log store write failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The log store could not commit {Count} writes")]
    private static partial void LogCommitFailed(ILogger logger, int count, Exception exception);

    private sealed class WriteOp(Func<WriteContext, object?> body)
    {
        public Func<WriteContext, object?> Body { get; } = body;

        public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public object? Result { get; set; }

        public Exception? Error { get; set; }
    }

    private sealed record WriteContext(SqliteConnection Connection, SqliteTransaction Transaction, EventInsert Insert);
}
