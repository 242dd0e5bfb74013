using System.Text;
using System.Text.Json;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Protocol.Dispatch;
using Berth.Storage.Commit;
using Berth.Storage.Sqlite;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

public class PlacementConcurrencyTests
{
    [Fact]
    public void APlanMadeOnAStaleSnapshotIsRefusedAtCommitIfItNoLongerFits()
    {
        var world = new World();
        world.AddInstance(memory: 256);
        var definition = world.Define(containers: [World.Container(memory: 200)]);
        var request = new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition };
        var snapshot = world.State;
        var first = TaskDecisions.PlanRun(snapshot, Scope, new Random(1), request);
        var second = TaskDecisions.PlanRun(snapshot, Scope, new Random(2), request);
        Assert.True(first.Placements.Single().Placed);
        Assert.True(second.Placements.Single().Placed);

        Assert.NotNull(world.Apply(TaskDecisions.CommitRun(world.State, Scope, world.Ids, Now, request, first)));

        // The second plan counted memory the first one took: its commit is refused and nothing is written.
        var conflict = TaskDecisions.CommitRun(world.State, Scope, world.Ids, Now, request, second);
        Assert.Null(conflict.Result);
        Assert.Empty(conflict.Mutations);

        var replanned = world.Apply(TaskDecisions.CommitRun(world.State, Scope, world.Ids, Now, request, TaskDecisions.PlanRun(world.State, Scope, new Random(3), request)));
        Assert.Equal("RESOURCE:MEMORY", Assert.Single(replanned!.Failures!).Reason);
    }

    [Fact]
    public void AStalePlanThatStillFitsIsCommitted()
    {
        var world = new World();
        world.AddInstance(memory: 1024);
        var definition = world.Define(containers: [World.Container(memory: 200)]);
        var request = new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition };
        var stale = TaskDecisions.PlanRun(world.State, Scope, new Random(1), request);
        world.RunOne(definition);
        Assert.Single(world.Apply(TaskDecisions.CommitRun(world.State, Scope, world.Ids, Now, request, stale))!.Tasks!);
    }

    [Fact]
    public async Task SimultaneousRunTasksNeverOverCommitAnInstance()
    {
        var dir = Directory.CreateTempSubdirectory("berth-placement-");
        try
        {
            var world = new World();
            for (var i = 0; i < 4; i++)
            {
                world.AddInstance(cpu: 4096, memory: 1000);
            }

            var definition = world.Define(containers: [World.Container(memory: 100)]);
            await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(dir.FullName, "state.db"));
            await using var pipeline = new CommitPipeline<EcsState>(store, world.State);
            var table = new DispatchTable();
            new EcsApi(pipeline, TimeProvider.System) { Ids = IdSource.Sequential(), PlacementRandom = new Random(5) }.Register(table);
            table.Freeze();
            Assert.True(table.TryGet(WireOperations.TargetPrefix + ".RunTask", out var runTask));
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition, Count = 3 }, WireJsonContext.Default.RunTaskRequest));
            var context = new RequestContext("us-east-1", "000000000000", Principal, "r");

            // 4 instances × 10 tasks of 100 MiB fit; 16 callers ask for 48 at once.
            var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
                JsonSerializer.Deserialize(await runTask.Invoke(context, body), WireJsonContext.Default.RunTaskResponse)!)));

            Assert.Equal(40, responses.Sum(r => r.Tasks!.Count));
            var perInstance = pipeline.Current.Tasks.Values.GroupBy(t => t.ContainerInstanceArn).ToList();
            Assert.Equal(4, perInstance.Count);
            Assert.All(perInstance, g => Assert.Equal(10, g.Count()));
            Assert.All(responses.SelectMany(r => r.Failures!), f => Assert.Equal("RESOURCE:MEMORY", f.Reason));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
