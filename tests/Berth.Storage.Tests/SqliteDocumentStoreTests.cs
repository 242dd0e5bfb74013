using System.Text;
using Berth.Storage.Documents;
using Berth.Storage.Sqlite;

namespace Berth.Storage.Tests;

/// <summary>The SQLite store's commits, through its statements bound by position, as a reopened file shows them.</summary>
public sealed class SqliteDocumentStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("berth-sqlite-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task PutsReplacesDeletesAndEmptyBodiesSurviveAReopen()
    {
        var path = Path.Combine(_dir, "state.db");
        static byte[] Body(string text) => Encoding.UTF8.GetBytes(text);
        await using (var store = await SqliteDocumentStore.OpenAsync(path))
        {
            await store.CommitAsync([Mutation.Put("task", "a", Body("{\"n\":1}")), Mutation.Put("task", "b", Body("{\"n\":2}")), Mutation.Put("token", "a", [])], CancellationToken.None);

            // The same statements across commits: a replace, a delete, a delete of nothing, a put in another kind.
            await store.CommitAsync([Mutation.Put("task", "a", Body("{\"n\":3}")), Mutation.Delete("task", "b"), Mutation.Delete("task", "missing"), Mutation.Put("service", "s", Body("{}"))], CancellationToken.None);
        }

        await using var reopened = await SqliteDocumentStore.OpenAsync(path);
        var documents = (await reopened.LoadAllAsync(CancellationToken.None)).OrderBy(d => d.Kind, StringComparer.Ordinal).ThenBy(d => d.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(
            [("service", "s", "{}"), ("task", "a", "{\"n\":3}"), ("token", "a", "")],
            documents.Select(d => (d.Kind, d.Id, Encoding.UTF8.GetString(d.Body))));
    }

    [Fact]
    public async Task ACommitThatFailsPartWayWritesNothingAndTheNextOneGoesThrough()
    {
        var path = Path.Combine(_dir, "state.db");
        await using var store = await SqliteDocumentStore.OpenAsync(path);
        await store.CommitAsync([Mutation.Put("task", "a", [1])], CancellationToken.None);

        // A null kind cannot be stored (NOT NULL): the commit throws after its first put, and that put is rolled back.
        await Assert.ThrowsAnyAsync<Exception>(() => store.CommitAsync([Mutation.Put("task", "b", [2]), new Mutation(null!, "c", [3])], CancellationToken.None));
        await store.CommitAsync([Mutation.Put("task", "d", [4])], CancellationToken.None);

        var ids = (await store.LoadAllAsync(CancellationToken.None)).Select(d => d.Id).Order(StringComparer.Ordinal);
        Assert.Equal(["a", "d"], ids);
    }

    [Fact]
    public async Task DocumentsWhoseKeysCollideAreKeptApart()
    {
        // Two ids of one kind with the same 31-bit key (found by trying ids; about 2^16 tries are enough).
        var seen = new Dictionary<long, string>();
        var (first, second) = ("", "");
        for (var n = 0; first.Length == 0; n++)
        {
            var id = "arn:aws:ecs:us-east-1:000000000000:task/c/" + n;
            if (!seen.TryAdd(SqliteDocumentStore.DocumentKey("task", id), id))
            {
                (first, second) = (seen[SqliteDocumentStore.DocumentKey("task", id)], id);
            }
        }

        var path = Path.Combine(_dir, "state.db");
        await using (var store = await SqliteDocumentStore.OpenAsync(path))
        {
            await store.CommitAsync([Mutation.Put("task", first, [1]), Mutation.Put("task", second, [2])], CancellationToken.None);
            await store.CommitAsync([Mutation.Put("task", second, [3])], CancellationToken.None);
            Assert.Equal([(first, 1), (second, 3)], (await store.LoadAllAsync(CancellationToken.None)).Select(d => (d.Id, (int)d.Body[0])).OrderBy(d => d.Item2));
            await store.CommitAsync([Mutation.Delete("task", first)], CancellationToken.None);
        }

        await using var reopened = await SqliteDocumentStore.OpenAsync(path);
        Assert.Equal([(second, 3)], (await reopened.LoadAllAsync(CancellationToken.None)).Select(d => (d.Id, (int)d.Body[0])));
    }

    [Fact]
    public async Task AFileWithThePrimaryKeySchemaIsCopiedIntoTheKeyedOneAndStaysWritable()
    {
        var path = Path.Combine(_dir, "state.db");
        using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            old.Open();
            using var create = old.CreateCommand();
            create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE documents (kind TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (kind, id));"
                + "INSERT INTO documents VALUES ('task', 'b', x'02'), ('task', 'a', x'01'), ('service', 'z', x'03');";
            create.ExecuteNonQuery();
        }

        await using (var store = await SqliteDocumentStore.OpenAsync(path))
        {
            Assert.Equal(["service/z/3", "task/a/1", "task/b/2"], (await store.LoadAllAsync(CancellationToken.None)).Select(d => $"{d.Kind}/{d.Id}/{d.Body[0]}"));

            // A put of a copied document replaces it (found by its key), not adds a second row.
            await store.CommitAsync([Mutation.Put("task", "a", [9]), Mutation.Delete("service", "z"), Mutation.Put("task", "c", [4])], CancellationToken.None);
        }

        await using (var again = await SqliteDocumentStore.OpenAsync(path))
        {
            Assert.Equal(["task/a/9", "task/b/2", "task/c/4"], (await again.LoadAllAsync(CancellationToken.None)).Select(d => $"{d.Kind}/{d.Id}/{d.Body[0]}"));
        }

        using var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        check.Open();
        using var schema = check.CreateCommand();
        schema.CommandText = "SELECT group_concat(name || ':' || sql, ';') FROM sqlite_master";
        var sql = (string)schema.ExecuteScalar()!;
        Assert.Contains("documents_key:CREATE INDEX", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIMARY KEY", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("documents_keyed", sql, StringComparison.Ordinal);
    }
}
