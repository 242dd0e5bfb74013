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
}
