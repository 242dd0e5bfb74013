using System.Data.Common;
using System.Text;
using Berth.Logs.Model;
using Npgsql;

namespace Berth.Logs.Storage;

/// <summary>
/// The log store of several servers: tables in the PostgreSQL database they share (<c>berth_log_groups</c>,
/// <c>berth_log_streams</c>, <c>berth_log_events</c>, made by the shared schema's migrations), so a group made or an
/// event put through one server is read through any other. Each server's writer commits its own batches on a pooled
/// connection; a stream appended to is locked until the commit, so two servers appending to one stream take turns.
/// Sequence numbers come from one database sequence, one number per appended batch: an event's is the batch's times
/// <see cref="BatchSpan"/> plus its place in it, unique across servers and rising within a stream.
/// </summary>
internal sealed class PostgresLogDialect(NpgsqlDataSource source) : LogDialect
{
    /// <summary>Numbers each batch can use: more than PutLogEvents' 10,000 events.</summary>
    public const long BatchSpan = 16_384;

    public override string RowLock => " FOR UPDATE";

    public override string Sql(string template) => template.Replace("{G}", "berth_log_groups", StringComparison.Ordinal).Replace("{S}", "berth_log_streams", StringComparison.Ordinal).Replace("{E}", "berth_log_events", StringComparison.Ordinal);

    public override DbConnection OpenRead() => source.OpenConnection();

    public override LogWriteSession BeginWrite()
    {
        var connection = source.OpenConnection();
        try
        {
            return new Session(connection, connection.BeginTransaction());
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // disk_full, or the file system's own "no space left" as PostgreSQL reports it.
    public override bool IsFull(Exception error) => error is PostgresException { SqlState: "53100" } || (error is PostgresException p && p.MessageText.Contains("No space left on device", StringComparison.Ordinal));

    // deadlock_detected: two servers' batches locked two streams in opposite orders; one is chosen to fail.
    public override bool IsConflict(Exception error) => error is PostgresException { SqlState: "40P01" or "40001" };

    // The data source belongs to the shared database.
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Session(NpgsqlConnection connection, NpgsqlTransaction transaction) : LogWriteSession
    {
        public override DbConnection Connection => connection;

        public override DbTransaction Transaction => transaction;

        public override (long Bytes, long LastSeq) Append(long groupId, long streamId, long ingest, IReadOnlyList<InputLogEvent> events, int start, int end)
        {
            var count = end - start;
            if (count >= BatchSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(events), count, "More events than one batch's sequence numbers.");
            }

            long batch;
            using (var next = new NpgsqlCommand("SELECT nextval('berth_log_batches')", connection, transaction))
            {
                batch = (long)next.ExecuteScalar()!;
            }

            var timestamps = new long[count];
            var messages = new string[count];
            long bytes = 0;
            for (var i = 0; i < count; i++)
            {
                timestamps[i] = events[start + i].Timestamp!.Value;
                messages[i] = events[start + i].Message!;
                bytes += Encoding.UTF8.GetByteCount(messages[i]);
            }

            var first = batch * BatchSpan;
            using var insert = new NpgsqlCommand(
                "INSERT INTO berth_log_events (seq, group_id, stream_id, ts, ingest, message) SELECT $1 + x.o, $2, $3, x.t, $4, x.m FROM unnest($5::bigint[], $6::text[]) WITH ORDINALITY AS x(t, m, o)",
                connection,
                transaction);
            insert.Parameters.AddWithValue(first);
            insert.Parameters.AddWithValue(groupId);
            insert.Parameters.AddWithValue(streamId);
            insert.Parameters.AddWithValue(ingest);
            insert.Parameters.AddWithValue(timestamps);
            insert.Parameters.AddWithValue(messages);
            insert.ExecuteNonQuery();
            return (bytes, first + count);
        }

        public override void Commit() => transaction.Commit();

        public override void Dispose()
        {
            transaction.Dispose();
            connection.Dispose();
        }
    }
}
