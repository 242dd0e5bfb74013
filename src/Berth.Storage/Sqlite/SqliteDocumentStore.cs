using System.Globalization;
using Berth.Storage.Documents;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Berth.Storage.Sqlite;

/// <summary>
/// <see cref="IDocumentStore"/> on one SQLite file, in WAL mode with <c>synchronous=FULL</c> so a
/// committed transaction survives power loss, not only a process crash.
/// </summary>
public sealed class SqliteDocumentStore : IDocumentStore
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Statements? _statements;

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
            _statements ??= new Statements(_connection.Handle!);
            foreach (var mutation in mutations)
            {
                _statements.Run(mutation);
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
        _statements?.Dispose();
        await _connection.DisposeAsync();
        _gate.Dispose();
    }

    /// <summary>
    /// The commit's put and delete, prepared once and bound by position through SQLite's own API: binding by name
    /// through Microsoft.Data.Sqlite looks each parameter up by its name on every row, a large share of a commit of
    /// thousands of documents.
    /// </summary>
    private sealed class Statements : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _put;
        private readonly sqlite3_stmt _delete;

        public Statements(sqlite3 db)
        {
            _db = db;
            Check(raw.sqlite3_prepare_v2(db, "INSERT INTO documents (kind, id, body) VALUES (?1, ?2, ?3) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body", out _put));
            Check(raw.sqlite3_prepare_v2(db, "DELETE FROM documents WHERE kind = ?1 AND id = ?2", out _delete));
        }

        public void Run(Mutation mutation)
        {
            var statement = mutation.Body is null ? _delete : _put;
            try
            {
                Check(raw.sqlite3_bind_text(statement, 1, mutation.Kind));
                Check(raw.sqlite3_bind_text(statement, 2, mutation.Id));
                if (mutation.Body is { } body)
                {
                    // An empty span would bind NULL (its pointer is null): a zero-length blob is bound as one.
                    Check(body.Length == 0 ? raw.sqlite3_bind_zeroblob(statement, 3, 0) : raw.sqlite3_bind_blob(statement, 3, body));
                }

                Check(raw.sqlite3_step(statement));
            }
            finally
            {
                raw.sqlite3_reset(statement);
                raw.sqlite3_clear_bindings(statement);
            }
        }

        public void Dispose()
        {
            _put.Dispose();
            _delete.Dispose();
        }

        private void Check(int rc)
        {
            if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
            {
                throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
            }
        }
    }
}
