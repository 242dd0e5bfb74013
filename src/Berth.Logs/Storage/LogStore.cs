using System.Data.Common;
using System.Text.Json;
using System.Threading.Channels;
using Berth.Logs.Model;
using Berth.Logs.Paging;
using Berth.Protocol.Errors;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Berth.Logs.Storage;

/// <summary>
/// CloudWatch Logs' storage, apart from the ECS state and its commit pipeline, so ingest never waits on the control
/// plane's writer: on one server its own SQLite file (<c>logs.db</c>), with several servers tables in the PostgreSQL
/// database they share (<see cref="LogDialect"/> holds what differs). One writer thread takes every waiting write
/// (puts of many streams, creates, deletes, retention sweeps) into one transaction, each write in its own savepoint so
/// a refused one writes nothing, and answers the callers only after the commit is durable: an acknowledged event
/// survives kill -9. Events are rows indexed by (stream, timestamp, seq) and (group, timestamp, seq); readers use
/// their own connections and never wait on the writer.
/// </summary>
public sealed partial class LogStore : IAsyncDisposable
{
    /// <summary>The database file inside the data dir.</summary>
    public const string FileName = "logs.db";

    private const int MaxOpsPerCommit = 512;

    // How often a batch that lost a race with another server's writer (a deadlock PostgreSQL broke) is tried.
    private const int ConflictAttempts = 10;

    // A group's storedBytes is its streams' sum, not a counter of its own: a counter would be one row every append to
    // any of the group's streams locks until its commit, serializing (and with several servers, deadlocking) them.
    private const string GroupColumns = "id, region, name, created, retention, kms, tags, (SELECT COALESCE(SUM(x.stored_bytes), 0) FROM {S} x WHERE x.group_id = {G}.id)";
    private const string StreamColumns = "id, group_id, name, created, first_ts, last_ts, last_ingest, stored_bytes, last_token, last_seq";

    private readonly Channel<WriteOp> _writes = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly LogDialect _dialect;
    private readonly ILogger _logger;
    private readonly Task _loop;

    private LogStore(LogDialect dialect, ILogger logger)
    {
        _dialect = dialect;
        _logger = logger;
        _loop = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Opens (creating if needed) the store of one server, the SQLite file at <paramref name="path"/>.</summary>
    public static async Task<LogStore> OpenAsync(string path, ILogger logger, CancellationToken cancellationToken = default)
        => new(await SqliteLogDialect.OpenAsync(path, cancellationToken), logger);

    /// <summary>
    /// The store several servers share, in the PostgreSQL database of <paramref name="source"/> (its schema already
    /// migrated by the shared database's open). The data source stays the caller's.
    /// </summary>
    public static LogStore OpenShared(NpgsqlDataSource source, ILogger logger) => new(new PostgresLogDialect(source), logger);

    // ---------------------------------------------------------------- writes

    /// <summary>Creates a group; ResourceAlreadyExistsException when it exists.</summary>
    public Task CreateGroupAsync(string region, string name, long createdMs, string? kmsKeyId, IReadOnlyDictionary<string, string>? tags)
        => WriteAsync(c =>
        {
            if (FindGroup(c, region, name) is not null)
            {
                throw new AwsException("ResourceAlreadyExistsException", "The specified log group already exists");
            }

            Run(c, "INSERT INTO {G} (region, name, created, kms, tags) VALUES (@r, @n, @c, @k, @t)",
                ("@r", region), ("@n", name), ("@c", createdMs), ("@k", kmsKeyId), ("@t", TagsJson(tags ?? new Dictionary<string, string>())));
            return null;
        });

    /// <summary>Deletes a group with its streams and events.</summary>
    public Task DeleteGroupAsync(string region, string name)
        => WriteAsync(c =>
        {
            var group = RequireGroup(c, region, name);
            Run(c, "DELETE FROM {E} WHERE group_id = @g", ("@g", group.Id));
            Run(c, "DELETE FROM {S} WHERE group_id = @g", ("@g", group.Id));
            Run(c, "DELETE FROM {G} WHERE id = @g", ("@g", group.Id));
            return null;
        });

    /// <summary>Creates a stream in an existing group.</summary>
    public Task CreateStreamAsync(string region, string group, string name, long createdMs)
        => WriteAsync(c =>
        {
            var g = RequireGroup(c, region, group);
            if (FindStream(c, g.Id, name, lockRow: false) is not null)
            {
                throw new AwsException("ResourceAlreadyExistsException", "The specified log stream already exists");
            }

            Run(c, "INSERT INTO {S} (group_id, name, created) VALUES (@g, @n, @c)", ("@g", g.Id), ("@n", name), ("@c", createdMs));
            return null;
        });

    /// <summary>Deletes a stream and its events.</summary>
    public Task DeleteStreamAsync(string region, string group, string name)
        => WriteAsync(c =>
        {
            var g = RequireGroup(c, region, group);
            var s = FindStream(c, g.Id, name, lockRow: true) ?? throw StreamNotFound();
            Run(c, "DELETE FROM {E} WHERE stream_id = @s", ("@s", s.Id));
            Run(c, "DELETE FROM {S} WHERE id = @s", ("@s", s.Id));
            return null;
        });

    /// <summary>Sets (or with null removes) a group's retention.</summary>
    public Task SetRetentionAsync(string region, string group, int? days)
        => WriteAsync(c =>
        {
            var g = RequireGroup(c, region, group);
            Run(c, "UPDATE {G} SET retention = @d WHERE id = @g", ("@d", days), ("@g", g.Id));
            return null;
        });

    /// <summary>Adds or replaces tags, or removes the keys in <paramref name="remove"/>.</summary>
    public Task TagAsync(string region, string group, IReadOnlyDictionary<string, string>? add, IReadOnlyList<string>? remove)
        => WriteAsync(c =>
        {
            var g = RequireGroup(c, region, group, lockRow: true);
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

            Run(c, "UPDATE {G} SET tags = @t WHERE id = @g", ("@t", TagsJson(tags)), ("@g", g.Id));
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

            // Locked where several servers write: the token check, the sequence numbers and the stream's totals
            // below see no other server's append halfway.
            var s = FindStream(c, g.Id, stream, lockRow: true) ?? throw StreamNotFound();
            if (sequenceToken is not null && sequenceToken == s.LastToken)
            {
                throw new AwsException("DataAlreadyAcceptedException", "The given batch of log events has already been accepted. The next batch can be sent with sequenceToken: " + UploadToken(s.LastSeq));
            }

            var verdict = check(events, nowMs, g.RetentionDays);
            var appended = verdict.End > verdict.Start;
            long? first = s.FirstEventTimestamp;
            long? last = s.LastEventTimestamp;
            for (var i = verdict.Start; i < verdict.End; i++)
            {
                var ts = events[i].Timestamp!.Value;
                first = first is { } f ? Math.Min(f, ts) : ts;
                last = last is { } l ? Math.Max(l, ts) : ts;
            }

            var (bytes, seq) = appended ? c.Session.Append(g.Id, s.Id, nowMs, events, verdict.Start, verdict.End) : (0, s.LastSeq);
            Run(c, "UPDATE {S} SET first_ts = @f, last_ts = @l, last_ingest = @i, stored_bytes = stored_bytes + @b, last_token = COALESCE(@t, last_token), last_seq = @q WHERE id = @s",
                ("@f", first), ("@l", last), ("@i", appended ? nowMs : s.LastIngestionTime), ("@b", bytes), ("@t", sequenceToken), ("@q", seq), ("@s", s.Id));
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
            using (var command = Command(c, "DELETE FROM {E} WHERE seq IN (SELECT seq FROM {E} WHERE group_id = @g AND ts < @c ORDER BY group_id, ts LIMIT @m) RETURNING stream_id, message",
                ("@g", groupId), ("@c", cutoffMs), ("@m", max)))
            {
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    var stream = reader.GetInt64(0);
                    freed[stream] = freed.GetValueOrDefault(stream) + System.Text.Encoding.UTF8.GetByteCount(reader.GetString(1));
                    count++;
                }
            }

            foreach (var (stream, bytes) in freed)
            {
                Run(c, "UPDATE {S} SET stored_bytes = CASE WHEN stored_bytes > @b THEN stored_bytes - @b ELSE 0 END WHERE id = @s", ("@b", bytes), ("@s", stream));
            }

            return count;
        });
        return (int)result!;
    }

    // ---------------------------------------------------------------- reads

    /// <summary>The group named <paramref name="name"/> in <paramref name="region"/>, or null.</summary>
    public GroupRow? FindGroup(string region, string name)
    {
        using var connection = _dialect.OpenRead();
        return ReadGroups(Command(connection, "SELECT " + GroupColumns + " FROM {G} WHERE region = @r AND name = @n", ("@r", region), ("@n", name))).FirstOrDefault();
    }

    /// <summary>Groups of a region ordered by name, those whose name starts with <paramref name="prefix"/> (null: all).</summary>
    public List<GroupRow> ListGroups(string region, string? prefix)
    {
        using var connection = _dialect.OpenRead();
        return prefix is null
            ? ReadGroups(Command(connection, "SELECT " + GroupColumns + " FROM {G} WHERE region = @r ORDER BY name", ("@r", region)))
            : ReadGroups(Command(connection, "SELECT " + GroupColumns + " FROM {G} WHERE region = @r AND substr(name, 1, length(@p)) = @p ORDER BY name", ("@r", region), ("@p", prefix)));
    }

    /// <summary>Every group of every region with a retention set (for the retention sweep).</summary>
    public List<GroupRow> GroupsWithRetention()
    {
        using var connection = _dialect.OpenRead();
        return ReadGroups(Command(connection, "SELECT " + GroupColumns + " FROM {G} WHERE retention IS NOT NULL"));
    }

    /// <summary>A group's streams ordered by name.</summary>
    public List<StreamRow> ListStreams(long groupId)
    {
        using var connection = _dialect.OpenRead();
        return ReadStreams(Command(connection, "SELECT " + StreamColumns + " FROM {S} WHERE group_id = @g ORDER BY name", ("@g", groupId)));
    }

    /// <summary>One stream of a group, or null.</summary>
    public StreamRow? FindStream(long groupId, string name)
    {
        using var connection = _dialect.OpenRead();
        return ReadStreams(Command(connection, "SELECT " + StreamColumns + " FROM {S} WHERE group_id = @g AND name = @n", ("@g", groupId), ("@n", name))).FirstOrDefault();
    }

    // A position bounds the scan by a single timestamp range (the tighter of the asked range and the position's) and
    // breaks ties at the position's own timestamp by seq: PostgreSQL bounds no index scan by an OR over both columns,
    // nor SQLite by a row-value comparison or a second bound on one column, and each would read every earlier event of
    // the range on every page.

    /// <summary>
    /// Events of one stream with <paramref name="fromMs"/> ≤ timestamp &lt; <paramref name="toMs"/>, strictly after
    /// <paramref name="after"/> and before <paramref name="before"/>; forward in order, or backward from the end (still
    /// returned oldest first).
    /// </summary>
    public List<EventRow> ReadStream(long streamId, long fromMs, long toMs, EventPosition after, EventPosition before, int limit, bool forward)
    {
        if (toMs == long.MinValue)
        {
            return [];
        }

        using var connection = _dialect.OpenRead();
        var rows = ReadEvents(Command(
            connection,
            "SELECT stream_id, ts, seq, ingest, message FROM {E} WHERE stream_id = @s AND ts >= @lo AND ts <= @hi "
                + "AND (ts > @ats OR seq > @aseq) AND (ts < @bts OR seq < @bseq) "
                + (forward ? "ORDER BY stream_id, ts, seq" : "ORDER BY stream_id DESC, ts DESC, seq DESC") + " LIMIT @limit",
            ("@s", streamId), ("@lo", Math.Max(fromMs, after.Timestamp)), ("@hi", Math.Min(toMs - 1, before.Timestamp)), ("@ats", after.Timestamp), ("@aseq", after.Seq), ("@bts", before.Timestamp), ("@bseq", before.Seq), ("@limit", limit)));
        if (!forward)
        {
            rows.Reverse();
        }

        return rows;
    }

    /// <summary>Events of a group in (timestamp, seq) order after <paramref name="after"/> with <paramref name="fromMs"/> ≤ timestamp ≤ <paramref name="toMs"/>.</summary>
    public List<EventRow> ReadGroup(long groupId, long fromMs, long toMs, EventPosition after, int limit)
    {
        using var connection = _dialect.OpenRead();
        return ReadEvents(Command(
            connection,
            "SELECT stream_id, ts, seq, ingest, message FROM {E} WHERE group_id = @g AND ts >= @lo AND ts <= @to "
                + "AND (ts > @ats OR seq > @aseq) ORDER BY group_id, ts, seq LIMIT @limit",
            ("@g", groupId), ("@lo", Math.Max(fromMs, after.Timestamp)), ("@to", toMs), ("@ats", after.Timestamp), ("@aseq", after.Seq), ("@limit", limit)));
    }

    /// <summary>Stops taking writes, finishes those already taken, and closes the store.</summary>
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _loop;
        await _dialect.DisposeAsync();
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
        var batch = new List<WriteOp>();
        while (await _writes.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxOpsPerCommit && _writes.Reader.TryRead(out var op))
            {
                batch.Add(op);
            }

            for (var attempt = 1; !Commit(batch, attempt); attempt++)
            {
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

    // One transaction for the batch; false when it lost a race with another server's writer and runs again whole: a
    // deadlock PostgreSQL broke leaves this transaction holding the locks its earlier operations took, so only
    // starting over lets the other go on.
    private bool Commit(List<WriteOp> batch, int attempt)
    {
        LogWriteSession? session = null;
        try
        {
            session = _dialect.BeginWrite();
            var context = new WriteContext(session, _dialect);
            foreach (var op in batch)
            {
                op.Result = null;
                op.Error = null;
                Apply(context, op);
            }

            // Only once the commit is durable is anyone answered.
            session.Commit();
            return true;
        }
        catch (Exception ex) when (_dialect.IsConflict(ex) && attempt < ConflictAttempts)
        {
            session?.Abandoned();
            LogConflict(_logger, batch.Count, attempt);
            return false;
        }
        catch (Exception ex)
        {
            LogCommitFailed(_logger, batch.Count, ex);
            session?.Abandoned();
            foreach (var op in batch)
            {
                op.Error = _dialect.IsFull(ex) ? StorageFull.Error() : AwsException.Server("The log store could not commit.");
            }

            return true;
        }
        finally
        {
            session?.Dispose();
        }
    }

    // One operation in its savepoint: refused or failed, it leaves nothing behind. A lost race fails the batch.
    private void Apply(WriteContext c, WriteOp op)
    {
        Execute(c, "SAVEPOINT op");
        c.Session.OperationStarted();
        try
        {
            op.Result = op.Body(c);
            Execute(c, "RELEASE op");
        }
        catch (Exception ex) when (!_dialect.IsConflict(ex))
        {
            Execute(c, "ROLLBACK TO op");
            Execute(c, "RELEASE op");
            c.Session.OperationRolledBack();
            op.Error = ex is AwsException ? ex : _dialect.IsFull(ex) ? StorageFull.Error() : AwsException.Server("The log store failed: " + ex.Message);
            if (ex is not AwsException)
            {
                LogWriteFailed(_logger, ex);
            }
        }
    }

    private static GroupRow RequireGroup(WriteContext c, string region, string name, bool lockRow = false)
        => FindGroup(c, region, name, lockRow) ?? throw new AwsException("ResourceNotFoundException", "The specified log group does not exist.");

    private static AwsException StreamNotFound() => new("ResourceNotFoundException", "The specified log stream does not exist.");

    private static GroupRow? FindGroup(WriteContext c, string region, string name, bool lockRow = false)
        => ReadGroups(Command(c, "SELECT " + GroupColumns + " FROM {G} WHERE region = @r AND name = @n" + (lockRow ? c.Dialect.RowLock : string.Empty), ("@r", region), ("@n", name))).FirstOrDefault();

    private static StreamRow? FindStream(WriteContext c, long groupId, string name, bool lockRow)
        => ReadStreams(Command(c, "SELECT " + StreamColumns + " FROM {S} WHERE group_id = @g AND name = @n" + (lockRow ? c.Dialect.RowLock : string.Empty), ("@g", groupId), ("@n", name))).FirstOrDefault();

    private static void Run(WriteContext c, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(c, sql, parameters);
        command.ExecuteNonQuery();
    }

    private static void Execute(WriteContext c, string sql)
    {
        using var command = c.Session.Connection.CreateCommand();
        command.Transaction = c.Session.Transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static DbCommand Command(WriteContext c, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = Command(c.Session.Connection, c.Dialect, sql, parameters);
        command.Transaction = c.Session.Transaction;
        return command;
    }

    private DbCommand Command(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
        => Command(connection, _dialect, sql, parameters);

    private static DbCommand Command(DbConnection connection, LogDialect dialect, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = dialect.Sql(sql);
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    // ---------------------------------------------------------------- row readers

    private static List<GroupRow> ReadGroups(DbCommand command)
    {
        using (command)
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
    }

    private static List<StreamRow> ReadStreams(DbCommand command)
    {
        using (command)
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
    }

    private static List<EventRow> ReadEvents(DbCommand command)
    {
        using (command)
        {
            var rows = new List<EventRow>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(new EventRow(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetString(4)));
            }

            return rows;
        }
    }

    private static string TagsJson(IReadOnlyDictionary<string, string> tags)
        => JsonSerializer.Serialize(new Dictionary<string, string>(tags, StringComparer.Ordinal), WireJsonContext.Default.DictionaryStringString);

    // AWS's upload tokens are long digit strings; this one names the stream's last stored event.
    private static string UploadToken(long seq) => "49" + seq.ToString("D54", System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Error, Message = "A log store write failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The log store's {Count} writes lost a race with another server's (attempt {Attempt}); running them again")]
    private static partial void LogConflict(ILogger logger, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "The log store could not commit {Count} writes")]
    private static partial void LogCommitFailed(ILogger logger, int count, Exception exception);

    private sealed class WriteOp(Func<WriteContext, object?> body)
    {
        public Func<WriteContext, object?> Body { get; } = body;

        public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public object? Result { get; set; }

        public Exception? Error { get; set; }
    }

    private sealed record WriteContext(LogWriteSession Session, LogDialect Dialect);
}
