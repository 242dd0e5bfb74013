using System.Text;
using Berth.Storage.Documents;
using Npgsql;
using NpgsqlTypes;

namespace Berth.Storage.Postgres;

/// <summary>
/// <see cref="ISharedDocumentStore"/> on PostgreSQL: one namespace's documents (<c>berth_documents</c>), its head
/// revision (<c>berth_heads</c>, the row every commit updates on the condition that it still holds the revision the
/// writer decided on) and its journal (<c>berth_journal</c>, each commit's mutations, what other servers catch up
/// from). All three change in one transaction, with a NOTIFY that wakes the other servers.
/// </summary>
public sealed class PostgresDocumentStore : ISharedDocumentStore
{
    // The journal keeps at least this many revisions and this long, so a server that was briefly away catches up
    // from it; one further behind loads a snapshot.
    private const long KeptRevisions = 10_000;
    private static readonly TimeSpan KeptFor = TimeSpan.FromMinutes(10);
    private const int PruneEvery = 1_000;

    private readonly NpgsqlDataSource _source;
    private readonly string _ns;
    private long _commits;

    internal PostgresDocumentStore(NpgsqlDataSource source, string ns)
    {
        _source = source;
        _ns = ns;
    }

    /// <summary>The namespace (component) this store holds.</summary>
    public string Namespace => _ns;

    /// <inheritdoc />
    public async Task<SharedSnapshot> LoadSnapshotAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        long revision;
        await using (var head = new NpgsqlCommand("SELECT revision FROM berth_heads WHERE ns = $1", connection, transaction))
        {
            head.Parameters.AddWithValue(_ns);
            revision = await head.ExecuteScalarAsync(cancellationToken) is long r ? r : 0;
        }

        var documents = new List<StoredDocument>();
        await using (var read = new NpgsqlCommand("SELECT kind, id, body FROM berth_documents WHERE ns = $1 ORDER BY kind, id", connection, transaction))
        {
            read.Parameters.AddWithValue(_ns);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                documents.Add(new StoredDocument(reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new SharedSnapshot(revision, documents);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDocument>> LoadAllAsync(CancellationToken cancellationToken)
        => (await LoadSnapshotAsync(cancellationToken)).Documents;

    /// <inheritdoc />
    public async Task<IReadOnlyList<JournalEntry>?> ChangesSinceAsync(long revision, CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        return await ChangesSinceAsync(connection, null, revision, cancellationToken);
    }

    private async Task<IReadOnlyList<JournalEntry>?> ChangesSinceAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long revision, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT revision, mutations FROM berth_journal WHERE ns = $1 AND revision > $2 ORDER BY revision", connection, transaction);
        command.Parameters.AddWithValue(_ns);
        command.Parameters.AddWithValue(revision);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<JournalEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var next = reader.GetInt64(0);
            if (next != revision + entries.Count + 1)
            {
                // Pruned past this revision: the caller loads a snapshot.
                return null;
            }

            entries.Add(new JournalEntry(next, Decode((byte[])reader.GetValue(1))));
        }

        return entries;
    }

    /// <inheritdoc />
    public async Task<IHeadHold> HoldHeadAsync(CancellationToken cancellationToken)
    {
        var connection = await _source.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var hold = new NpgsqlCommand("SELECT revision FROM berth_heads WHERE ns = $1 FOR UPDATE", connection, transaction))
            {
                hold.Parameters.AddWithValue(_ns);
                await hold.ExecuteNonQueryAsync(cancellationToken);
            }

            return new HeadHold(this, connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    // The head row locked by a transaction that commits once: other writers' berth_advance waits on the row, then
    // finds the head moved.
    private sealed class HeadHold(PostgresDocumentStore store, NpgsqlConnection connection, NpgsqlTransaction transaction) : IHeadHold
    {
        private bool _used;

        public Task<IReadOnlyList<JournalEntry>?> ChangesSinceAsync(long revision, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_used, this);
            return store.ChangesSinceAsync(connection, transaction, revision, cancellationToken);
        }

        public async Task<long> CommitAsync(CommitLink link, IReadOnlyList<Mutation> mutations, IReadOnlyCollection<Fence> fences, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_used, this);
            _used = true;
            var revision = await store.WriteAsync(connection, transaction, link, mutations, fences, cancellationToken);
            try
            {
                await transaction.CommitAsync(cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                throw new CommitConflictException(link.Expected);
            }

            await store.PrunedAsync(revision, cancellationToken);
            return revision;
        }

        public async ValueTask DisposeAsync()
        {
            // Rolls back what was not committed, and lets the head go (a connection that broke meanwhile is dropped
            // by the pool, and PostgreSQL ends its transaction with it).
            try
            {
                await transaction.DisposeAsync();
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <inheritdoc />
    public async Task<long> CommitAsync(CommitLink link, IReadOnlyList<Mutation> mutations, IReadOnlyCollection<Fence> fences, CancellationToken cancellationToken)
    {
        // One batch without an explicit transaction: PostgreSQL runs it as one implicit transaction, committed at its
        // end and rolled back by the first statement that fails, so the conditions, the writes and the commit take one
        // round trip.
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        var revision = await WriteAsync(connection, null, link, mutations, fences, cancellationToken);
        await PrunedAsync(revision, cancellationToken);
        return revision;
    }

    // The conditions and the writes of one commit, in one batch: committed at its end when it runs outside a
    // transaction, and with the transaction otherwise.
    private async Task<long> WriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, CommitLink link, IReadOnlyList<Mutation> mutations, IReadOnlyCollection<Fence> fences, CancellationToken cancellationToken)
    {
        var expectedRevision = link.Expected;
        var revision = expectedRevision + 1;

        // The last mutation of each document wins, as it would applied in order (one statement cannot touch a row twice).
        var last = new Dictionary<(string, string), Mutation>();
        foreach (var mutation in mutations)
        {
            last[(mutation.Kind, mutation.Id)] = mutation;
        }

        var puts = last.Values.Where(m => m.Body is not null).ToArray();
        var deletes = last.Values.Where(m => m.Body is null).ToArray();

        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var fence in fences)
        {
            var check = new NpgsqlBatchCommand("SELECT berth_fence($1, $2, $3)");
            check.Parameters.AddWithValue(fence.Group);
            check.Parameters.AddWithValue(fence.Holder);
            check.Parameters.AddWithValue(fence.Term);
            batch.BatchCommands.Add(check);
        }

        var head = new NpgsqlBatchCommand("SELECT berth_advance($1, $2, $3, $4, $5)");
        head.Parameters.AddWithValue(_ns);
        head.Parameters.AddWithValue(expectedRevision);
        head.Parameters.Add(new NpgsqlParameter { Value = link.After is { } after ? after : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        head.Parameters.AddWithValue(revision);
        head.Parameters.AddWithValue(link.Id);
        batch.BatchCommands.Add(head);

        var journal = new NpgsqlBatchCommand("INSERT INTO berth_journal (ns, revision, mutations) VALUES ($1, $2, $3)");
        journal.Parameters.AddWithValue(_ns);
        journal.Parameters.AddWithValue(revision);
        journal.Parameters.AddWithValue(Encode(mutations));
        batch.BatchCommands.Add(journal);

        if (puts.Length > 0)
        {
            var put = new NpgsqlBatchCommand(
                "INSERT INTO berth_documents (ns, kind, id, body) SELECT $1, k, i, b FROM unnest($2::text[], $3::text[], $4::bytea[]) AS t(k, i, b) " +
                "ON CONFLICT (ns, kind, id) DO UPDATE SET body = excluded.body");
            put.Parameters.AddWithValue(_ns);
            put.Parameters.Add(new NpgsqlParameter { Value = puts.Select(m => m.Kind).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            put.Parameters.Add(new NpgsqlParameter { Value = puts.Select(m => m.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            put.Parameters.Add(new NpgsqlParameter { Value = puts.Select(m => m.Body!).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            batch.BatchCommands.Add(put);
        }

        if (deletes.Length > 0)
        {
            var delete = new NpgsqlBatchCommand("DELETE FROM berth_documents d USING unnest($2::text[], $3::text[]) AS t(k, i) WHERE d.ns = $1 AND d.kind = t.k AND d.id = t.i");
            delete.Parameters.AddWithValue(_ns);
            delete.Parameters.Add(new NpgsqlParameter { Value = deletes.Select(m => m.Kind).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            delete.Parameters.Add(new NpgsqlParameter { Value = deletes.Select(m => m.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            batch.BatchCommands.Add(delete);
        }

        var notify = new NpgsqlBatchCommand("SELECT pg_notify($1, $2)");
        notify.Parameters.AddWithValue(PostgresDatabase.Channel);
        notify.Parameters.AddWithValue(_ns + ":" + revision.ToString(System.Globalization.CultureInfo.InvariantCulture));
        batch.BatchCommands.Add(notify);

        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresDatabase.HeadMoved or PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected)
        {
            // Another writer committed first (the head moved, or the journal already has this revision), or waiting
            // for its hold on the head met a wait for a lease (PostgreSQL broke the cycle here): decided again either way.
            throw new CommitConflictException(expectedRevision);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresDatabase.LeaseLost)
        {
            // Which fence failed: the error does not say (Npgsql leaves the batch command unset), so ask the leases.
            throw await EndedFenceAsync(fences, cancellationToken) is { } ended ? new FencedException(ended) : new CommitConflictException(expectedRevision);
        }

        return revision;
    }

    // Every PruneEvery commits, the journal's old entries go (after the commit, on a connection of its own).
    private async Task PrunedAsync(long revision, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _commits) % PruneEvery == 0)
        {
            await PruneAsync(revision, cancellationToken);
        }
    }

    /// <inheritdoc />
    /// <remarks>Not conditional: commits at whatever the head is (used where no state was decided on, e.g. tools).</remarks>
    public async Task CommitAsync(IReadOnlyList<Mutation> mutations, CancellationToken cancellationToken)
    {
        while (true)
        {
            long head;
            await using (var command = _source.CreateCommand("SELECT revision FROM berth_heads WHERE ns = $1"))
            {
                command.Parameters.AddWithValue(_ns);
                head = await command.ExecuteScalarAsync(cancellationToken) is long r ? r : 0;
            }

            try
            {
                await CommitAsync(CommitLink.On(head), mutations, [], cancellationToken);
                return;
            }
            catch (CommitConflictException)
            {
            }
        }
    }

    // The first of the fences whose term is no longer current; null when every one is again (its holder renewed the
    // lease before anybody took it), and deciding again is all the refused commit needs.
    private async Task<Fence?> EndedFenceAsync(IReadOnlyCollection<Fence> fences, CancellationToken cancellationToken)
    {
        foreach (var fence in fences)
        {
            await using var check = _source.CreateCommand("SELECT 1 FROM berth_leases WHERE grp = $1 AND holder = $2 AND term = $3 AND expires_at > now()");
            check.Parameters.AddWithValue(fence.Group);
            check.Parameters.AddWithValue(fence.Holder);
            check.Parameters.AddWithValue(fence.Term);
            if (await check.ExecuteScalarAsync(cancellationToken) is null)
            {
                return fence;
            }
        }

        return null;
    }

    private async Task PruneAsync(long head, CancellationToken cancellationToken)
    {
        await using var command = _source.CreateCommand("DELETE FROM berth_journal WHERE ns = $1 AND revision < $2 AND committed_at < now() - $3");
        command.Parameters.AddWithValue(_ns);
        command.Parameters.AddWithValue(head - KeptRevisions);
        command.Parameters.AddWithValue(KeptFor);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // A commit's mutations in the journal: a count, then kind, id and body (length -1 for a delete) of each.
    internal static byte[] Encode(IReadOnlyList<Mutation> mutations)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(mutations.Count);
            foreach (var mutation in mutations)
            {
                writer.Write(mutation.Kind);
                writer.Write(mutation.Id);
                writer.Write(mutation.Body?.Length ?? -1);
                if (mutation.Body is { } body)
                {
                    writer.Write(body);
                }
            }
        }

        return buffer.ToArray();
    }

    internal static IReadOnlyList<Mutation> Decode(byte[] encoded)
    {
        using var reader = new BinaryReader(new MemoryStream(encoded), Encoding.UTF8);
        var count = reader.ReadInt32();
        var mutations = new List<Mutation>(count);
        for (var i = 0; i < count; i++)
        {
            var kind = reader.ReadString();
            var id = reader.ReadString();
            var length = reader.ReadInt32();
            mutations.Add(new Mutation(kind, id, length < 0 ? null : reader.ReadBytes(length)));
        }

        return mutations;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
