using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.State;

/// <summary>The commit pipeline over a real SQLite file: what is acknowledged is durable, what failed is not written.</summary>
public sealed class CommitPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("berth-state-").FullName;

    private string DbPath => Path.Combine(_dir, "state.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(SqliteDocumentStore Store, CommitPipeline<EcsState> Pipeline)> OpenAsync()
    {
        var store = await SqliteDocumentStore.OpenAsync(DbPath);
        var state = StateCodec.Load(await store.LoadAllAsync(CancellationToken.None));
        return (store, new CommitPipeline<EcsState>(store, state));
    }

    [Fact]
    public async Task ConcurrentRegistrationsGetGaplessRevisionsThatSurviveReopen()
    {
        var (store, pipeline) = await OpenAsync();
        var registrations = Enumerable.Range(0, 400).Select(_ => Task.Run(() =>
            pipeline.ExecuteAsync(s => TaskDefinitionDecisions.Register(s, Scope, Principal, Now, Definition("app")))));
        var results = await Task.WhenAll(registrations);
        Assert.Equal(Enumerable.Range(1, 400), results.Select(r => r.Definition.Revision!.Value).Order());
        await pipeline.DisposeAsync();
        await store.DisposeAsync();

        (store, pipeline) = await OpenAsync();
        var family = Assert.Single(pipeline.Current.Families.Values);
        Assert.Equal(400, family.Revisions.Count);
        Assert.Equal("web", family.Revisions[399].Definition.ContainerDefinitions![0].Name);
        var next = await pipeline.ExecuteAsync(s => TaskDefinitionDecisions.Register(s, Scope, Principal, Now, Definition("app")));
        Assert.Equal(401, next.Definition.Revision);
        await pipeline.DisposeAsync();
        await store.DisposeAsync();
    }

    [Fact]
    public async Task AFileWithTheFirstWithoutRowidTableIsMigratedWithEveryDocument()
    {
        // The first schema, written as a data dir from before the change has it.
        using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            old.Open();
            using var create = old.CreateCommand();
            create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE documents (kind TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;"
                + "INSERT INTO documents VALUES ('k', 'b', x'02'), ('k', 'a', x'01'), ('j', 'z', x'03');";
            create.ExecuteNonQuery();
        }

        await using (var store = await SqliteDocumentStore.OpenAsync(DbPath))
        {
            var docs = await store.LoadAllAsync(CancellationToken.None);
            Assert.Equal(["j/z/3", "k/a/1", "k/b/2"], docs.Select(d => $"{d.Kind}/{d.Id}/{d.Body[0]}"));
            await store.CommitAsync([new Berth.Storage.Documents.Mutation("k", "a", [9]), new Berth.Storage.Documents.Mutation("j", "z", null)], CancellationToken.None);
        }

        await using (var again = await SqliteDocumentStore.OpenAsync(DbPath))
        {
            var docs = await again.LoadAllAsync(CancellationToken.None);
            Assert.Equal(["k/a/9", "k/b/2"], docs.Select(d => $"{d.Kind}/{d.Id}/{d.Body[0]}"));
        }

        using var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=False");
        check.Open();
        using var schema = check.CreateCommand();
        schema.CommandText = "SELECT group_concat(sql, ';') FROM sqlite_master WHERE type = 'table'";
        var sql = (string)schema.ExecuteScalar()!;
        Assert.DoesNotContain("WITHOUT ROWID", sql, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("documents_rowid", sql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARefusedCommandWritesNothingAndDoesNotDisturbItsBatch()
    {
        var (store, pipeline) = await OpenAsync();
        var good = pipeline.ExecuteAsync(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = "a" }));
        var bad = pipeline.ExecuteAsync(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = "not valid" }));
        var alsoGood = pipeline.ExecuteAsync(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = "b" }));
        await good;
        await alsoGood;
        Assert.Equal("InvalidParameterException", (await Assert.ThrowsAsync<AwsException>(() => bad)).ErrorType);
        await pipeline.DisposeAsync();
        await store.DisposeAsync();

        (store, pipeline) = await OpenAsync();
        Assert.Equal(["a", "b"], pipeline.Current.Clusters.Values.Select(c => c.ClusterName));
        await pipeline.DisposeAsync();
        await store.DisposeAsync();
    }

    [Fact]
    public async Task ReadersSeeOnlyCommittedState()
    {
        var (store, pipeline) = await OpenAsync();
        var before = pipeline.Current;
        await pipeline.ExecuteAsync(s => ClusterDecisions.Create(s, Scope, new CreateClusterRequest { ClusterName = "a" }));
        Assert.Empty(before.Clusters);
        Assert.Single(pipeline.Current.Clusters);
        await pipeline.DisposeAsync();
        await store.DisposeAsync();
    }

    [Fact]
    public async Task EveryStoredMemberRoundTrips()
    {
        var (store, pipeline) = await OpenAsync();
        var request = Definition("rich");
        request.Cpu = "256";
        request.Memory = "512";
        request.Volumes = [new Volume { Name = "data", Host = new HostVolumeProperties { SourcePath = "/tmp" } }];
        request.ContainerDefinitions![0].Environment = [new Model.KeyValuePair { Name = "A", Value = "1" }];
        request.ContainerDefinitions[0].PortMappings = [new PortMapping { ContainerPort = 80, HostPort = 8080, Protocol = "tcp" }];
        request.Tags = [new Tag { Key = "k", Value = "v" }];
        var registered = await pipeline.ExecuteAsync(s => TaskDefinitionDecisions.Register(s, Scope, Principal, Now, request));
        await pipeline.DisposeAsync();
        await store.DisposeAsync();

        (store, pipeline) = await OpenAsync();
        var loaded = pipeline.Current.Families.Values.Single().Revisions.Single();
        Assert.Equal(
            StateCodec.Encode(registered, StoredJsonContext.Default.TaskDefinitionRecord),
            StateCodec.Encode(loaded, StoredJsonContext.Default.TaskDefinitionRecord));
        await pipeline.DisposeAsync();
        await store.DisposeAsync();
    }
}
