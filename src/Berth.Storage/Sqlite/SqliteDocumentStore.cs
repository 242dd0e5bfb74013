using System.Globalization;
using Berth.Storage.Documents;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

/// <summary>
/// <see cref="IDocumentStore"/> on one SQLite file, in WAL mode with <c>synchronous=FULL</c> so a
/// committed transaction survives power loss, not only a process crash.
/// </summary>
public sealed class SqliteDocumentStore : IDocumentStore
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteDocumentStore(SqliteConnection connection) => _connection = connection;

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>.</summary>
    public static async Task<SqliteDocumentStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        await connection.OpenAsync(cancellationToken);
        foreach (var pragma in new[]
        {
            "PRAGMA journal_mode=WAL;",
            "PRAGMA synchronous=FULL;",
            "PRAGMA busy_timeout=5000;",
        })
        {
            using var command = connection.CreateCommand();
            command.CommandText = pragma;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await CreateOrMigrateAsync(connection, cancellationToken);
        return new SqliteDocumentStore(connection);
    }

    /// <summary>
    /// A rowid table: rows are appended in rowid order and only the small (kind, id) index takes random inserts.
    /// The first schema was WITHOUT ROWID, which keeps each ~1 KiB document inside the key's B-tree, so documents
    /// with random ids (task ARNs) split and rewrite full pages: a commit of 64 tasks cost about 2.7× as much. A file
    /// with that table is copied into the new one in a single transaction (all or nothing) when it is opened.
    /// </summary>
    private static async Task CreateOrMigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        string? existing;
        using (var query = connection.CreateCommand())
        {
            query.CommandText = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'";
            existing = await query.ExecuteScalarAsync(cancellationToken) as string;
        }

        const string Create = "CREATE TABLE {0} (kind TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (kind, id));";
        if (existing is null)
        {
            await ExecuteAsync(connection, null, string.Format(CultureInfo.InvariantCulture, Create, "documents"), cancellationToken);
            return;
        }

        if (!existing.Contains("WITHOUT ROWID", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        using var transaction = connection.BeginTransaction();
        await ExecuteAsync(connection, transaction, string.Format(CultureInfo.InvariantCulture, Create, "documents_rowid"), cancellationToken);
        await ExecuteAsync(connection, transaction, "INSERT INTO documents_rowid (kind, id, body) SELECT kind, id, body FROM documents ORDER BY kind, id;", cancellationToken);
        await ExecuteAsync(connection, transaction, "DROP TABLE documents;", cancellationToken);
        await ExecuteAsync(connection, transaction, "ALTER TABLE documents_rowid RENAME TO documents;", cancellationToken);
        transaction.Commit();
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDocument>> LoadAllAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var result = new List<StoredDocument>();
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT kind, id, body FROM documents ORDER BY kind, id";
            using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                result.Add(new StoredDocument(reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2)));
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task CommitAsync(IReadOnlyList<Mutation> mutations, CancellationToken cancellationToken)
    {
        if (mutations.Count == 0)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var transaction = _connection.BeginTransaction();
            using var put = _connection.CreateCommand();
            put.Transaction = transaction;
            put.CommandText = "INSERT INTO documents (kind, id, body) VALUES ($k, $i, $b) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body";
            var putKind = put.Parameters.Add("$k", SqliteType.Text);
            var putId = put.Parameters.Add("$i", SqliteType.Text);
            var putBody = put.Parameters.Add("$b", SqliteType.Blob);
            using var delete = _connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM documents WHERE kind = $k AND id = $i";
            var deleteKind = delete.Parameters.Add("$k", SqliteType.Text);
            var deleteId = delete.Parameters.Add("$i", SqliteType.Text);
            foreach (var mutation in mutations)
            {
                if (mutation.Body is { } body)
                {
                    putKind.Value = mutation.Kind;
                    putId.Value = mutation.Id;
                    putBody.Value = body;
                    put.ExecuteNonQuery();
                }
                else
                {
                    deleteKind.Value = mutation.Kind;
                    deleteId.Value = mutation.Id;
                    delete.ExecuteNonQuery();
                }
            }

            // Commit is synchronous on purpose: with synchronous=FULL it returns after the WAL fsync.
            transaction.Commit();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _gate.Dispose();
    }
}
