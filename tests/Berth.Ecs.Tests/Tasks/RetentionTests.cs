using Berth.Ecs.Capacity;
using Berth.Ecs.Expiry;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Tasks;

/// <summary>Stopped tasks, INACTIVE services and client tokens expire after their retention, as ECS forgets them.</summary>
public class RetentionTests
{
    private static readonly RetentionPeriods Hour = RetentionPeriods.Of(TimeSpan.FromHours(1));

    private static int Expire(World world, RetentionPeriods periods, int limit = Retention.MaxPerPlan)
        => world.Apply(Retention.Apply(world.State, Retention.Plan(world.State, world.Time, periods, limit), world.Time, periods));

    private static TaskRecord Stopped(World world, string definition)
    {
        var task = world.RunOne(definition);
        world.Apply(TaskDecisions.Stop(world.State, Scope, world.Time, new StopTaskRequest { Cluster = World.ClusterName, Task = task.TaskArn }));
        world.TaskReports(task.TaskArn!, "STOPPED");
        return world.Record(task.TaskArn!);
    }

    [Fact]
    public void AStoppedTaskStaysAnHourThenGoesWithItsContainers()
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define();
        var stopped = Stopped(world, definition);
        var running = world.RunOne(definition);
        Assert.Equal(world.Time, stopped.StoppedAt);

        world.Time += TimeSpan.FromMinutes(59);
        Assert.Equal(0, Expire(world, Hour));
        Assert.True(world.State.Tasks.ContainsKey(stopped.TaskArn!));

        world.Time += TimeSpan.FromMinutes(1);
        Assert.Equal(1, Expire(world, Hour));
        Assert.False(world.State.Tasks.ContainsKey(stopped.TaskArn!));
        Assert.Empty(world.State.StoppedTasks);

        // A running task never expires, and DescribeTasks now answers MISSING for the expired one.
        world.Time += TimeSpan.FromDays(2);
        Assert.Equal(0, Expire(world, Hour));
        var described = TaskQueries.Describe(world.State, Scope, new DescribeTasksRequest { Cluster = World.ClusterName, Tasks = [running.TaskArn!, stopped.TaskArn!] });
        Assert.Equal(running.TaskArn, Assert.Single(described.Tasks!).TaskArn);
        Assert.Equal("MISSING", Assert.Single(described.Failures!).Reason);
    }

    [Fact]
    public void APlanRemovesAtMostItsLimitOldestFirstAndTheRestGoNextTime()
    {
        var world = new World();
        world.AddInstance(memory: 8192);
        var definition = world.Define();
        var arns = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            arns.Add(Stopped(world, definition).TaskArn!);
            world.Time += TimeSpan.FromSeconds(1);
        }

        world.Time += TimeSpan.FromHours(2);
        Assert.Equal(2, Expire(world, Hour, limit: 2));
        Assert.Equal(arns[2..], world.State.Tasks.Keys.Order(StringComparer.Ordinal).ToList().Intersect(arns));
        Assert.Equal(3, Expire(world, Hour));
        Assert.Empty(world.State.Tasks);
    }

    [Fact]
    public void AnItemThatChangedSinceThePlanIsLeftForTheNextPass()
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define();
        var stopped = Stopped(world, definition);
        world.Time += TimeSpan.FromHours(2);
        var plan = Retention.Plan(world.State, world.Time, Hour);
        Assert.Single(plan.Tasks);

        // The task's stop is recorded again (later) before the plan is applied: it is no longer due.
        var edit = new StateEdit(world.State);
        edit.Put(stopped with { StoppedAt = world.Time });
        world.State = edit.State;
        Assert.Equal(0, world.Apply(Retention.Apply(world.State, plan, world.Time, Hour)));
        Assert.True(world.State.Tasks.ContainsKey(stopped.TaskArn!));
    }

    [Fact]
    public void ClientTokensExpireAndARetryAfterThatStartsNewTasks()
    {
        var world = new World();
        world.AddInstance(memory: 8192);
        var definition = world.Define();
        var first = world.Run(definition, change: r => r.ClientToken = "once");
        Assert.Equal(first.Tasks![0].TaskArn, world.Run(definition, change: r => r.ClientToken = "once").Tasks![0].TaskArn);

        world.Time += TimeSpan.FromHours(1);
        Assert.Equal(1, Expire(world, Hour));
        Assert.Empty(world.State.ClientTokens);
        Assert.Empty(world.State.ClientTokensByTime);
        Assert.NotEqual(first.Tasks![0].TaskArn, world.Run(definition, change: r => r.ClientToken = "once").Tasks![0].TaskArn);
    }

    [Fact]
    public void AnInactiveServiceStaysDescribableForTheRetentionThenIsNotFound()
    {
        var world = new World();
        world.AddInstance();
        var definition = world.Define();
        world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, world.Time,
            new CreateServiceRequest { Cluster = World.ClusterName, ServiceName = "web", TaskDefinition = definition, DesiredCount = 0 }));
        world.Apply(ServiceDecisions.Delete(world.State, Scope, world.Time, new DeleteServiceRequest { Cluster = World.ClusterName, Service = "web" }));
        world.Apply(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)));
        var described = ServiceQueries.Describe(world.State, Scope, new DescribeServicesRequest { Cluster = World.ClusterName, Services = ["web"] });
        Assert.Equal("INACTIVE", Assert.Single(described.Services!).Status);

        world.Time += TimeSpan.FromMinutes(59);
        Assert.Equal(0, Expire(world, Hour));
        world.Time += TimeSpan.FromMinutes(1);
        Assert.Equal(1, Expire(world, Hour));
        var gone = ServiceQueries.Describe(world.State, Scope, new DescribeServicesRequest { Cluster = World.ClusterName, Services = ["web"] });
        Assert.Empty(gone.Services!);
        Assert.Equal("MISSING", Assert.Single(gone.Failures!).Reason);
    }

    [Fact]
    public void ExpiredFargateTasksKeepTheirUsageInTheMeteringTotals()
    {
        var world = new World();
        world.AddFargateCapacity();
        var definition = world.Define(networkMode: "awsvpc", cpu: "256", memory: "512");
        var task = world.RunOne(definition, r =>
        {
            r.LaunchType = "FARGATE";
            r.NetworkConfiguration = new NetworkConfiguration { AwsvpcConfiguration = new AwsVpcConfiguration { Subnets = ["subnet-1"] } };
        });
        world.TaskReports(task.TaskArn!, "RUNNING");
        world.Time += TimeSpan.FromSeconds(120);
        world.Apply(TaskDecisions.Stop(world.State, Scope, world.Time, new StopTaskRequest { Cluster = World.ClusterName, Task = task.TaskArn }));
        world.TaskReports(task.TaskArn!, "STOPPED");
        var before = FargateMetering.Report(world.State, "000000000000", null, world.Time);
        Assert.Single(before.Tasks);

        world.Time += TimeSpan.FromHours(2);
        Assert.Equal(1, Expire(world, Hour));
        var after = FargateMetering.Report(world.State, "000000000000", null, world.Time);
        Assert.Empty(after.Tasks);
        Assert.Equal(1, after.ExpiredTasks);
        Assert.Equal((before.VcpuSeconds, before.GbSeconds), (after.VcpuSeconds, after.GbSeconds));
        Assert.Equal(after.VcpuSeconds, FargateMetering.Report(StateCodec.Load(Documents(world)), "000000000000", null, world.Time).VcpuSeconds);
    }

    // The state as a fresh load would rebuild it from what the decisions stored.
    private static List<Berth.Storage.Documents.StoredDocument> Documents(World world)
    {
        var docs = new List<Berth.Storage.Documents.StoredDocument>();
        var edit = new StateEdit(EcsState.Empty);
        foreach (var total in world.State.MeterTotals.Values)
        {
            edit.Put(total);
        }

        foreach (var mutation in edit.Mutations)
        {
            docs.Add(new Berth.Storage.Documents.StoredDocument(mutation.Kind, mutation.Id, mutation.Body!));
        }

        return docs;
    }
}
