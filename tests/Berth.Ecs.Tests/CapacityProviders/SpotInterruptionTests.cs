using Berth.Ecs.Capacity;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.Tasks;
using Berth.Ecs.Tests.Tasks;
using Berth.Protocol.Errors;
using static Berth.Ecs.Tests.CapacityProviders.CapacityProviderTests;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.CapacityProviders;

/// <summary>FARGATE_SPOT interruptions: by an operator, and for on-demand tasks that need the room spot tasks hold.</summary>
public class SpotInterruptionTests
{
    // One capacity host with room for four 256/512 tasks.
    private static World SmallWorld()
    {
        var world = new World();
        world.AddFargateCapacity(cpu: 1024, memory: 2048);
        world.Apply(CapacityProviderDecisions.PutCluster(world.State, Scope, new PutClusterCapacityProvidersRequest { Cluster = World.ClusterName, CapacityProviders = ["FARGATE", "FARGATE_SPOT"], DefaultCapacityProviderStrategy = [] }));
        return world;
    }

    private static List<EcsTask> RunSpot(World world, string definition, int count)
    {
        var tasks = new List<EcsTask>();
        for (var i = 0; i < count; i++)
        {
            world.Time = world.Time.AddSeconds(1);
            tasks.Add(Assert.Single(world.Run(definition, 1, r =>
            {
                r.NetworkConfiguration = Awsvpc();
                r.CapacityProviderStrategy = [new() { CapacityProvider = "FARGATE_SPOT", Weight = 1 }];
            }).Tasks!));
        }

        return tasks;
    }

    private static RunTaskResponse RunOnDemand(World world, string definition)
        => world.Run(definition, 1, r =>
        {
            r.NetworkConfiguration = Awsvpc();
            r.LaunchType = "FARGATE";
        });

    private static List<TaskRecord> Interrupted(World world)
        => [.. world.State.Tasks.Values.Where(t => t.StopCode == StopCode.SpotInterruption)];

    [Fact]
    public void An_operator_interrupts_the_task_named_or_the_youngest_and_each_once()
    {
        var world = SmallWorld();
        var definition = DefineFargate(world);
        var spot = RunSpot(world, definition, 3);
        var onDemand = Assert.Single(RunOnDemand(world, definition).Tasks!);

        var youngest = SpotInterruptions.ForOperator(world.State, "000000000000", null, 2);
        Assert.Equal([spot[2].TaskArn, spot[1].TaskArn], youngest.Select(t => t.TaskArn));
        var done = world.Apply(SpotInterruptions.Apply(world.State, youngest, Now));
        Assert.Equal(2, done.Count);
        var task = TaskViews.ToWire(world.Record(spot[2].TaskArn!));
        Assert.Equal(("STOPPED", "SpotInterruption", "Your Spot Task was interrupted."), (task.DesiredStatus, task.StopCode, task.StoppedReason));

        // The same plan again changes nothing; the next count takes the one left.
        Assert.Empty(world.Apply(SpotInterruptions.Apply(world.State, youngest, Now)));
        Assert.Equal([spot[0].TaskArn], SpotInterruptions.ForOperator(world.State, "000000000000", null, 5).Select(t => t.TaskArn));
        Assert.Equal([spot[0].TaskArn], SpotInterruptions.ForOperator(world.State, "000000000000", spot[0].TaskArn, null).Select(t => t.TaskArn));

        var notSpot = Assert.Throws<AwsException>(() => SpotInterruptions.ForOperator(world.State, "000000000000", onDemand.TaskArn, null));
        Assert.Equal(("InvalidParameterException", $"The task {onDemand.TaskArn} does not run on FARGATE_SPOT."), (notSpot.ErrorType, notSpot.Message));
        Assert.Equal("The referenced task was not found.", Assert.Throws<AwsException>(() => SpotInterruptions.ForOperator(world.State, "000000000000", "arn:aws:ecs:us-east-1:000000000000:task/web/nope", null)).Message);
        Assert.Equal("The referenced task was not found.", Assert.Throws<AwsException>(() => SpotInterruptions.ForOperator(world.State, "111111111111", spot[0].TaskArn, null)).Message);
        Assert.Equal("count must be between 1 and 1000.", Assert.Throws<AwsException>(() => SpotInterruptions.ForOperator(world.State, "000000000000", null, 0)).Message);
    }

    [Fact]
    public void An_on_demand_RunTask_without_room_interrupts_just_enough_spot_tasks_and_runs_once_they_stop()
    {
        var world = SmallWorld();
        var definition = DefineFargate(world);
        var spot = RunSpot(world, definition, 4);

        var first = RunOnDemand(world, definition);
        Assert.Empty(first.Tasks!);
        Assert.Equal(FargateCapacity.Unavailable, Assert.Single(first.Failures!).Reason);
        var victim = Assert.Single(Interrupted(world));
        Assert.Equal(spot[3].TaskArn, victim.TaskArn);

        // Asking again before the spot task has stopped: its room is coming, nothing more is interrupted.
        Assert.Empty(RunOnDemand(world, definition).Tasks!);
        Assert.Single(Interrupted(world));

        // A spot task finding no room interrupts nothing.
        Assert.Empty(world.Run(definition, 1, r =>
        {
            r.NetworkConfiguration = Awsvpc();
            r.CapacityProviderStrategy = [new() { CapacityProvider = "FARGATE_SPOT", Weight = 1 }];
        }).Tasks!);
        Assert.Single(Interrupted(world));

        world.TaskReports(victim.TaskArn, "STOPPED");
        var ran = Assert.Single(RunOnDemand(world, definition).Tasks!);
        Assert.Equal(("FARGATE", null), (ran.LaunchType, ran.CapacityProviderName));
    }

    [Fact]
    public void A_service_waiting_for_on_demand_room_gets_it_from_spot_tasks_through_the_pressure_plan()
    {
        var world = SmallWorld();
        var definition = DefineFargate(world);
        var spot = RunSpot(world, definition, 4);
        world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, world.Time, new CreateServiceRequest
        {
            Cluster = World.ClusterName,
            ServiceName = "od",
            TaskDefinition = definition,
            DesiredCount = 1,
            NetworkConfiguration = Awsvpc(),
            CapacityProviderStrategy = [new() { CapacityProvider = "FARGATE", Weight = 1 }],
        }));

        // Nothing waits yet: no pressure.
        Assert.Empty(SpotInterruptions.PlanPressure(world.State));
        world.Apply(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)));
        Assert.DoesNotContain(world.State.Tasks.Values, t => t.Group == "service:od");

        var planned = SpotInterruptions.PlanPressure(world.State);
        Assert.Equal([spot[3].TaskArn], planned.Select(t => t.TaskArn));
        world.Apply(SpotInterruptions.Apply(world.State, planned, world.Time));
        Assert.Empty(SpotInterruptions.PlanPressure(world.State));

        world.TaskReports(spot[3].TaskArn!, "STOPPED");
        world.Time = world.Time.AddMinutes(1);
        world.Apply(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)));
        var placed = Assert.Single(world.State.Tasks.Values, t => t.Group == "service:od");
        Assert.Equal("FARGATE", placed.CapacityProviderName);
    }

    [Fact]
    public void A_spot_only_service_puts_no_pressure_on_spot_tasks()
    {
        var world = SmallWorld();
        var definition = DefineFargate(world);
        RunSpot(world, definition, 4);
        world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, world.Time, new CreateServiceRequest
        {
            Cluster = World.ClusterName,
            ServiceName = "sp",
            TaskDefinition = definition,
            DesiredCount = 2,
            NetworkConfiguration = Awsvpc(),
            CapacityProviderStrategy = [new() { CapacityProvider = "FARGATE_SPOT", Weight = 1 }],
        }));
        world.Apply(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)));
        Assert.Empty(SpotInterruptions.PlanPressure(world.State));
    }

    [Fact]
    public void Metering_shows_spot_apart_from_on_demand_expired_tasks_included()
    {
        var world = SmallWorld();
        var definition = DefineFargate(world);
        var spot = RunSpot(world, definition, 1)[0];
        var onDemand = Assert.Single(RunOnDemand(world, definition).Tasks!);
        world.TaskReports(spot.TaskArn!, "RUNNING");
        world.TaskReports(onDemand.TaskArn!, "RUNNING");
        var report = FargateMetering.Report(world.State, "000000000000", null, world.Time.AddMinutes(10));
        Assert.Equal(2, report.Tasks.Count);
        Assert.Equal(["FARGATE", "FARGATE_SPOT"], report.Tasks.Select(t => t.CapacityProviderName).Order());
        Assert.Equal((1, 1), (report.Spot.Tasks, report.OnDemand.Tasks));
        Assert.Equal(report.VcpuSeconds, report.Spot.VcpuSeconds + report.OnDemand.VcpuSeconds, 6);
        Assert.True(report.Spot.VcpuSeconds > 0);

        // Expired: folded into the stored totals, still apart.
        var stopped = world.Record(spot.TaskArn!) with { LastStatus = EcsTaskStatus.Stopped, DesiredStatus = EcsTaskStatus.Stopped, StoppedAt = world.Time.AddMinutes(5), ExecutionStoppedAt = world.Time.AddMinutes(5) };
        var total = MeterTotals.Add(world.State, stopped);
        Assert.Equal((1, 1), (total.Tasks, total.SpotTasks));
        Assert.Equal(total.VcpuSeconds, total.SpotVcpuSeconds);
    }
}
