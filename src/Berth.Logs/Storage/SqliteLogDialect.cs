using System.Data.Common;
using Berth.Logs.Model;
using Microsoft.Data.Sqlite;

namespace Berth.Logs.Storage;

/// <summary>
/// The log store on one server: its own SQLite file (WAL, <c>synchronous=FULL</c>, so a commit returns after the
/// WAL's fsync), one long-lived writer connection with its prepared insert, and sequence numbers counted in process
/// (the writer is the only one).
/// </summary>
internal sealed class SqliteLogDialect : LogDialect
{
    private static readonly string[] Pragmas = ["PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;", "PRAGMA busy_timeout=5000;"];

    private static readonly string[] Schema =
    [
        "CREATE TABLE IF NOT EXISTS groups (id INTEGER PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL, retention INTEGER, kms TEXT, tags TEXT NOT NULL, stored_bytes INTEGER NOT NULL DEFAULT 0, UNIQUE (region, name));",
        "CREATE TABLE IF NOT EXISTS streams (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER, stored_bytes INTEGER NOT NULL DEFAULT 0, last_token TEXT, last_seq INTEGER NOT NULL DEFAULT 0, UNIQUE (group_id, name));",
        "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, stream_id INTEGER NOT NULL, ts INTEGER NOT NULL, ingest INTEGER NOT NULL, message TEXT NOT NULL);",
        "CREATE INDEX IF NOT EXISTS events_by_stream ON events (stream_id, ts, seq);",
        "CREATE INDEX IF NOT EXISTS events_by_group ON events (group_id, ts, seq);",
    ];

    private readonly SqliteConnection _writer;
    private readonly EventInsert _insert;
    private readonly string _readString;
    private long _seq;

    private SqliteLogDialect(SqliteConnection writer, string readString, long seq)
    {
        _writer = writer;
        _readString = readString;
        _seq = seq;
        _insert = new EventInsert(writer);
    }

    /// <summary>Opens (creating if needed) the file at <paramref name="path"/>.</summary>
    public static async Task<SqliteLogDialect> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var writer = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        await writer.OpenAsync(cancellationToken);
        foreach (var sql in Pragmas.Concat(Schema))
        {
            using var command = writer.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }

        using var max = writer.CreateCommand();
        max.CommandText = "SELECT MAX((SELECT COALESCE(MAX(seq), 0) FROM events), (SELECT COALESCE(MAX(last_seq), 0) FROM streams))";
        var seq = (long)(await max.ExecuteScalarAsync(cancellationToken))!;
        var read = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
        return new SqliteLogDialect(writer, read, seq);
    }

    public override string RowLock => string.Empty;

    public override string Sql(string template) => template.Replace("{G}", "groups", StringComparison.Ordinal).Replace("{S}", "streams", StringComparison.Ordinal).Replace("{E}", "events", StringComparison.Ordinal);

    public override DbConnection OpenRead()
    {
        var connection = new SqliteConnection(_readString);
        connection.Open();
        return connection;
    }

    public override LogWriteSession BeginWrite() => new Session(this, _writer.BeginTransaction());

    // SQLITE_FULL (13), or the file system's own "no space left".
    public override bool IsFull(Exception error) => error is SqliteException { SqliteErrorCode: 13 } || Protocol.Errors.StorageFull.IsIoFull(error);

    // The only writer of its file: nobody to race.
    public override bool IsConflict(Exception error) => false;

    public override async ValueTask DisposeAsync()
    {
        _insert.Dispose();
        await _writer.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    private sealed class Session(SqliteLogDialect dialect, SqliteTransaction transaction) : LogWriteSession
    {
        private readonly long _seqAtStart = dialect._seq;
        private long _seqAtOperation = dialect._seq;

        public override DbConnection Connection => dialect._writer;

        public override DbTransaction Transaction => transaction;

        public override (long Bytes, long LastSeq) Append(long groupId, long streamId, long ingest, IReadOnlyList<InputLogEvent> events, int start, int end)
        {
            long bytes = 0;
            for (var i = start; i < end; i++)
            {
                bytes += dialect._insert.Run(++dialect._seq, groupId, streamId, events[i].Timestamp!.Value, ingest, events[i].Message!);
            }

            return (bytes, dialect._seq);
        }

        public override void OperationStarted() => _seqAtOperation = dialect._seq;

        public override void OperationRolledBack() => dialect._seq = _seqAtOperation;

        public override void Commit() => transaction.Commit();

        public override void Abandoned() => dialect._seq = _seqAtStart;

        public override void Dispose() => transaction.Dispose();
    }
}
