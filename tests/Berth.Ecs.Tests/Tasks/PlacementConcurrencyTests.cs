using System.Text;
using System.Text.Json;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Protocol.Dispatch;
using Berth.Protocol.Errors;
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

    [Fact]
    public void RunTasksPlannedTogetherShareTheRoomAndCommitWithoutRecheck()
    {
        var world = new World();
        world.AddInstance(memory: 1000);
        world.AddInstance(memory: 1000);
        var definition = world.Define(containers: [World.Container(memory: 100)]);
        var requests = Enumerable.Range(0, 25).Select(i => new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition, ClientToken = "token-" + i }).ToList();

        // One session: the first 20 take the 20 slots, the last 5 see none left.
        var plans = TaskDecisions.PlanRuns(world.State, Scope, new Random(1), requests);
        Assert.All(plans, p => Assert.Null(p.Error));
        Assert.Equal(20, plans.Count(p => p.Plan!.Placements.Single().Placed));

        var committed = world.Apply(TaskDecisions.CommitRuns(world.State, Scope, world.Ids, Now, [.. requests.Select((r, i) => (r, plans[i].Plan!))], plansHold: true))!;
        Assert.All(committed, c => Assert.NotNull(c.Response));
        Assert.Equal(20, committed.Sum(c => c.Response!.Tasks!.Count));
        Assert.All(committed.Skip(20), c => Assert.Equal("RESOURCE:MEMORY", c.Response!.Failures!.First().Reason));
        Assert.All(world.State.Tasks.Values.GroupBy(t => t.ContainerInstanceArn), g => Assert.Equal(10, g.Count()));
        Assert.Equal(25, world.State.ClientTokens.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(25)]
    public void RunTasksPlannedARangeAtATimeGetThePlansOfOneSession(int range)
    {
        // What a burst commits while it plans the rest: ranges planned in order by one planner must place each task
        // where planning them all at once does (the same session and random draws), and refuse the same requests.
        var world = new World();
        world.AddInstance(memory: 1000);
        world.AddInstance(memory: 1000);
        world.AddInstance(memory: 500);
        var definition = world.Define(containers: [World.Container(memory: 100)]);
        var requests = Enumerable.Range(0, 25).Select(i => new RunTaskRequest
        {
            Cluster = World.ClusterName,
            TaskDefinition = i % 9 == 4 ? "missing:1" : definition,
            Count = 1 + (i % 2),
            PlacementStrategy = i % 3 == 0 ? [new PlacementStrategy { Type = "random" }] : null,
        }).ToList();

        var whole = TaskDecisions.PlanRuns(world.State, Scope, new Random(5), requests);
        var planner = new TaskDecisions.RunPlanner(world.State, Scope, new Random(5));
        var pieces = new (RunPlan? Plan, AwsException? Error)[requests.Count];
        for (var from = 0; from < requests.Count; from += range)
        {
            planner.Plan(requests, from, Math.Min(range, requests.Count - from), pieces);
        }

        static string Where(RunPlan? plan) => plan is null ? "-" : string.Join(",", plan.Placements.Select(p => p.Placed ? p.Instance!.Arn : "none"));
        Assert.Equal(whole.Select(p => p.Error?.Message), pieces.Select(p => p.Error?.Message));
        Assert.Equal(whole.Select(p => Where(p.Plan)), pieces.Select(p => Where(p.Plan)));
        Assert.Contains(pieces, p => p.Error is not null);
        Assert.Contains(pieces, p => p.Plan is { } plan && plan.Placements.Any(x => !x.Placed));
    }

    [Fact]
    public void RunsBuiltOutsideTheWriterCommitExactlyWhatCommittingThemOneByOneWould()
    {
        // Two identical worlds with sequential IDs: one commits runs built ahead (put in one pass), the other commits
        // the same plans one by one. Same tasks, tokens, answers and documents; a token twice in the batch replays.
        World Make()
        {
            var world = new World();
            world.AddInstance(memory: 1000);
            world.AddInstance(memory: 1000);
            return world;
        }

        var (built, alone) = (Make(), Make());
        var definition = built.Define(containers: [World.Container(memory: 100)]);
        Assert.Equal(definition, alone.Define(containers: [World.Container(memory: 100)]));
        var requests = Enumerable.Range(0, 30).Select(i => new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition, ClientToken = "t" + (i == 29 ? 3 : i), Group = i % 2 == 0 ? "even" : null }).ToList();

        var plans = TaskDecisions.PlanRuns(built.State, Scope, new Random(1), requests);
        var made = requests.Select((r, i) => TaskDecisions.Build(plans[i].Plan!, r, Scope, built.Ids, Now)).ToList();
        var fast = TaskDecisions.CommitRuns(built.State, Scope, built.Ids, Now, [.. requests.Select((r, i) => (r, plans[i].Plan!, made[i]))], plansHold: true);
        built.Apply(fast);

        var again = TaskDecisions.PlanRuns(alone.State, Scope, new Random(1), requests);
        var slow = TaskDecisions.CommitRuns(alone.State, Scope, alone.Ids, Now, [.. requests.Select((r, i) => (r, again[i].Plan!))], plansHold: true);
        alone.Apply(slow);

        static string Json(RunTaskResponse? r) => JsonSerializer.Serialize(r);
        Assert.Equal(slow.Result.Select(r => Json(r.Response)), fast.Result.Select(r => Json(r.Response)));
        Assert.Equal(20, built.State.Tasks.Count);
        Assert.Equal(29, built.State.ClientTokens.Count);

        // The 30th request reused the 4th's token: its answer is the 4th's tasks, nothing new.
        Assert.Equal(Json(fast.Result[3].Response), Json(fast.Result[29].Response));
        static IEnumerable<string> Documents(Decision<EcsState, IReadOnlyList<(RunTaskResponse? Response, Berth.Protocol.Errors.AwsException? Error)>> d) =>
            d.Mutations.Select(m => m.Kind + "|" + m.Id + "|" + Encoding.UTF8.GetString(m.Body!)).Order(StringComparer.Ordinal);
        Assert.Equal(Documents(slow), Documents(fast));
        Assert.Equal(alone.State.ClientTokensByTime, built.State.ClientTokensByTime);
        Assert.Equal(alone.State.TasksOfGroup(built.State.Clusters.Keys.Single(), "even").Select(t => t.TaskArn), built.State.TasksOfGroup(built.State.Clusters.Keys.Single(), "even").Select(t => t.TaskArn));
    }

    [Fact]
    public void RunTasksPlannedTogetherAreCheckedAgainWhenTheStateMovedUnderThem()
    {
        var world = new World();
        world.AddInstance(memory: 300);
        var definition = world.Define(containers: [World.Container(memory: 100)]);
        var requests = Enumerable.Range(0, 3).Select(_ => new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition }).ToList();
        var plans = TaskDecisions.PlanRuns(world.State, Scope, new Random(1), requests);
        Assert.All(plans, p => Assert.True(p.Plan!.Placements.Single().Placed));

        // Another RunTask took one slot meanwhile: two of the three plans still fit, the third must be made again.
        world.RunOne(definition);
        var committed = world.Apply(TaskDecisions.CommitRuns(world.State, Scope, world.Ids, Now, [.. requests.Select((r, i) => (r, plans[i].Plan!))], plansHold: false))!;
        Assert.Equal(2, committed.Count(c => c.Response is not null));
        Assert.Null(committed[2].Response);
        Assert.Null(committed[2].Error);
        Assert.Equal(3, world.State.Tasks.Count);
    }

    [Fact]
    public void ABatchKeepsEachRequestsOwnErrorAndReplaysItsClientTokens()
    {
        var world = new World();
        world.AddInstance(memory: 1000);
        var definition = world.Define(containers: [World.Container(memory: 100)]);
        var good = new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition, ClientToken = "same" };
        var bad = new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition, Count = 11 };
        var plans = TaskDecisions.PlanRuns(world.State, Scope, new Random(1), [good, bad]);
        Assert.Equal("InvalidParameterException", plans[1].Error!.ErrorType);
        var first = world.Apply(TaskDecisions.CommitRuns(world.State, Scope, world.Ids, Now, [(good, plans[0].Plan!)], plansHold: true))!;

        // The same token again, planned on the new state, gives the same task and starts nothing.
        var again = TaskDecisions.PlanRuns(world.State, Scope, new Random(2), [good]);
        var replay = world.Apply(TaskDecisions.CommitRuns(world.State, Scope, world.Ids, Now, [(good, again[0].Plan!)], plansHold: true))!;
        Assert.Equal(first[0].Response!.Tasks!.Single().TaskArn, replay[0].Response!.Tasks!.Single().TaskArn);
        Assert.Single(world.State.Tasks);
    }

    // An EcsApi over a real pipeline on SQLite, holding the world's state.
    private static async Task WithApiAsync(World world, int batchCommitSize, Func<EcsApi, CommitPipeline<EcsState>, Task> test)
    {
        var dir = Directory.CreateTempSubdirectory("berth-placement-");
        try
        {
            await using var store = await SqliteDocumentStore.OpenAsync(Path.Combine(dir.FullName, "state.db"));
            await using var pipeline = new CommitPipeline<EcsState>(store, world.State);
            await test(new EcsApi(pipeline, TimeProvider.System) { Ids = IdSource.Sequential(), PlacementRandom = new Random(5), BatchCommitSize = batchCommitSize }, pipeline);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task RunTasksThroughTheApiMatchWhatAloneRunTasksWouldDo()
    {
        var world = new World();
        for (var i = 0; i < 4; i++)
        {
            world.AddInstance(cpu: 4096, memory: 1000);
        }

        var definition = world.Define(containers: [World.Container(memory: 100)]);
        await WithApiAsync(world, 7, async (api, pipeline) =>
        {
            // 50 requests in pieces of 7, with a RunTask from elsewhere committed under their plans: never more than
            // the 40 that fit.
            var racer = pipeline.ExecuteAsync(s => TaskDecisions.Run(s, Scope, IdSource.Random, new Random(9), Now, new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition, Count = 2 }));
            var requests = Enumerable.Range(0, 50).Select(i => new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition, ClientToken = "t" + i }).ToList();
            var results = await api.RunTasksAsync(Scope, requests);
            Assert.Equal(2, (await racer).Tasks!.Count);

            Assert.All(results, r => Assert.NotNull(r.Response));
            Assert.Equal(40, pipeline.Current.Tasks.Count);
            Assert.All(pipeline.Current.Tasks.Values.GroupBy(t => t.ContainerInstanceArn), g => Assert.Equal(10, g.Count()));
            Assert.Equal(38, results.Sum(r => r.Response!.Tasks!.Count));
            Assert.All(results.SelectMany(r => r.Response!.Failures!), f => Assert.Equal("RESOURCE:MEMORY", f.Reason));

            // The same batch again replays every token: nothing more starts.
            var again = await api.RunTasksAsync(Scope, requests);
            Assert.Equal(40, pipeline.Current.Tasks.Count);
            Assert.Equal(results.Select(r => r.Response!.Tasks!.Count), again.Select(r => r.Response!.Tasks!.Count));
        });
    }

    [Fact]
    public async Task RunTasksAnsweredWithArnsOnlyStartTheSameTasks()
    {
        var world = new World();
        world.AddInstance(cpu: 4096, memory: 1000);
        var definition = world.Define(containers: [World.Container(memory: 100)]);
        await WithApiAsync(world, 4, async (api, pipeline) =>
        {
            var requests = Enumerable.Range(0, 12).Select(i => new RunTaskRequest { Cluster = World.ClusterName, TaskDefinition = definition, ClientToken = "a" + i }).ToList();
            var results = await api.RunTasksAsync(Scope, requests, arnsOnly: true);

            // Ten fit; each answer names its task by ARN and nothing more, and that task is in the state.
            var answered = results.SelectMany(r => r.Response!.Tasks!).ToList();
            Assert.Equal(10, answered.Count);
            Assert.All(answered, t => Assert.Equal(EcsTaskStatus.Provisioning, pipeline.Current.Tasks[t.TaskArn!].LastStatus));
            Assert.All(answered, t => Assert.Null(t.LastStatus));
            Assert.Equal(answered.Select(t => t.TaskArn).Order(), pipeline.Current.Tasks.Keys.Order());
            Assert.Equal(2, results.Count(r => r.Response!.Failures!.Count > 0));
        });
    }
}
