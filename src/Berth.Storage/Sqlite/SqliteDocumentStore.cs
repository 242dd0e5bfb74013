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
            "CREATE TABLE IF NOT EXISTS documents (kind TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;",
        })
        {
            using var command = connection.CreateCommand();
            command.CommandText = pragma;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new SqliteDocumentStore(connection);
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
