using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Berth.Logs.Storage;

/// <summary>
/// The writer's one prepared <c>INSERT INTO events</c>, bound by position through SQLite's own API. Binding by name
/// through Microsoft.Data.Sqlite looks every parameter up by its name on every row, which cost more than the insert
/// itself at tens of thousands of events a second; the message is encoded once into a reused buffer, which also gives
/// its stored size.
/// </summary>
internal sealed class EventInsert : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private byte[] _buffer = new byte[4096];

    /// <summary>Prepares the insert on the writer's connection (its transactions cover it).</summary>
    public EventInsert(SqliteConnection connection)
    {
        _db = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(_db, "INSERT INTO events (seq, group_id, stream_id, ts, ingest, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", out _statement));
    }

    /// <summary>Inserts one event; returns its message's UTF-8 size.</summary>
    public int Run(long seq, long groupId, long streamId, long timestamp, long ingest, string message)
    {
        var size = Encoding.UTF8.GetMaxByteCount(message.Length);
        if (size > _buffer.Length)
        {
            _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
        }

        var length = Encoding.UTF8.GetBytes(message, _buffer);
        try
        {
            Check(raw.sqlite3_bind_int64(_statement, 1, seq));
            Check(raw.sqlite3_bind_int64(_statement, 2, groupId));
            Check(raw.sqlite3_bind_int64(_statement, 3, streamId));
            Check(raw.sqlite3_bind_int64(_statement, 4, timestamp));
            Check(raw.sqlite3_bind_int64(_statement, 5, ingest));
            Check(raw.sqlite3_bind_text(_statement, 6, _buffer.AsSpan(0, length)));
            var rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }

        return length;
    }

    /// <summary>Finalizes the statement.</summary>
    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
        }
    }
}
