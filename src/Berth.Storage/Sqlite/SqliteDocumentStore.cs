using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
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
    /// A rowid table whose only index is a 31-bit hash of each document's (kind, id): rows are appended in rowid order,
    /// and the index's random inserts touch small entries. Earlier schemas, read and copied into this one in a single
    /// transaction (all or nothing) when such a file is opened:
    /// <list type="number">
    /// <item>WITHOUT ROWID, which keeps each ~1 KiB document inside the key's B-tree, so documents with random ids
    /// (task ARNs) split and rewrite full pages: a commit of 64 tasks cost about 2.7× as much.</item>
    /// <item>A primary key on (kind, id): each random ARN's ~100-byte entry went into a B-tree of such entries, so a
    /// commit of a thousand new documents dirtied about a thousand index pages, and cost 3–5× the same commit with
    /// sequential ids once the file held tens of thousands of documents.</item>
    /// </list>
    /// Nothing but the store's own statements keeps (kind, id) unique: a put updates the row it finds and inserts only
    /// when there is none, in the commit's transaction, and one store is the only writer of its file.
    /// </summary>
    private static async Task CreateOrMigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        string? existing;
        using (var query = connection.CreateCommand())
        {
            query.CommandText = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'";
            existing = await query.ExecuteScalarAsync(cancellationToken) as string;
        }

        const string Create = "CREATE TABLE {0} (kind TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, key INTEGER NOT NULL);";
        const string Index = "CREATE INDEX documents_key ON documents (key);";
        if (existing is null)
        {
            await ExecuteAsync(connection, null, string.Format(CultureInfo.InvariantCulture, Create, "documents") + Index, cancellationToken);
            return;
        }

        if (existing.Contains("key INTEGER", StringComparison.Ordinal))
        {
            return;
        }

        connection.CreateFunction<string, string, long>("berth_document_key", DocumentKey, isDeterministic: true);
        using var transaction = connection.BeginTransaction();
        await ExecuteAsync(connection, transaction, string.Format(CultureInfo.InvariantCulture, Create, "documents_keyed"), cancellationToken);
        await ExecuteAsync(connection, transaction, "INSERT INTO documents_keyed (kind, id, body, key) SELECT kind, id, body, berth_document_key(kind, id) FROM documents ORDER BY kind, id;", cancellationToken);
        await ExecuteAsync(connection, transaction, "DROP TABLE documents;", cancellationToken);
        await ExecuteAsync(connection, transaction, "ALTER TABLE documents_keyed RENAME TO documents;", cancellationToken);
        await ExecuteAsync(connection, transaction, Index, cancellationToken);
        transaction.Commit();
    }

    /// <summary>
    /// The indexed key of a document: 31 bits of XxHash3 over the UTF-8 of its kind, a zero byte and its id. Stored in
    /// the file, so it must never change. 31 bits keep each entry at 4 bytes; documents that share a key are told
    /// apart by their kind and id, which every statement compares too.
    /// </summary>
    public static long DocumentKey(string kind, string id)
    {
        var length = Encoding.UTF8.GetMaxByteCount(kind.Length + id.Length + 1);
        byte[]? rented = null;
        var buffer = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(kind, buffer);
            buffer[written++] = 0;
            written += Encoding.UTF8.GetBytes(id, buffer[written..]);
            return (long)(XxHash3.HashToUInt64(buffer[..written]) & 0x7FFF_FFFF);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
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
        private readonly sqlite3_stmt _update;
        private readonly sqlite3_stmt _insert;
        private readonly sqlite3_stmt _delete;

        public Statements(sqlite3 db)
        {
            _db = db;
            Check(raw.sqlite3_prepare_v2(db, "UPDATE documents SET body = ?3 WHERE key = ?4 AND kind = ?1 AND id = ?2", out _update));
            Check(raw.sqlite3_prepare_v2(db, "INSERT INTO documents (kind, id, body, key) VALUES (?1, ?2, ?3, ?4)", out _insert));
            Check(raw.sqlite3_prepare_v2(db, "DELETE FROM documents WHERE key = ?3 AND kind = ?1 AND id = ?2", out _delete));
        }

        public void Run(Mutation mutation)
        {
            var key = DocumentKey(mutation.Kind, mutation.Id);
            if (mutation.Body is not { } body)
            {
                Step(_delete, mutation, null, key);
            }
            else if (Step(_update, mutation, body, key) == 0)
            {
                Step(_insert, mutation, body, key);
            }
        }

        // Runs one statement with the mutation's values bound by position and returns the rows it changed.
        private int Step(sqlite3_stmt statement, Mutation mutation, byte[]? body, long key)
        {
            try
            {
                Check(raw.sqlite3_bind_text(statement, 1, mutation.Kind));
                Check(raw.sqlite3_bind_text(statement, 2, mutation.Id));
                if (body is null)
                {
                    Check(raw.sqlite3_bind_int64(statement, 3, key));
                }
                else
                {
                    // An empty span would bind NULL (its pointer is null): a zero-length blob is bound as one.
                    Check(body.Length == 0 ? raw.sqlite3_bind_zeroblob(statement, 3, 0) : raw.sqlite3_bind_blob(statement, 3, body));
                    Check(raw.sqlite3_bind_int64(statement, 4, key));
                }

                Check(raw.sqlite3_step(statement));
                return raw.sqlite3_changes(_db);
            }
            finally
            {
                raw.sqlite3_reset(statement);
                raw.sqlite3_clear_bindings(statement);
            }
        }

        public void Dispose()
        {
            _update.Dispose();
            _insert.Dispose();
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
