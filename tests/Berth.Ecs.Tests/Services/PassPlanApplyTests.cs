using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.Tasks;
using Berth.Ecs.Tests.Tasks;
using static Berth.Ecs.Tests.Decisions.Fixtures;

namespace Berth.Ecs.Tests.Services;

/// <summary>A service pass planned on a snapshot and applied by the writer on a state that may have moved.</summary>
public class PassPlanApplyTests
{
    private static void Create(World world, string name, string definition, int desired) =>
        world.Apply(ServiceDecisions.Create(world.State, Scope, Principal, world.Ids, world.Time,
            new CreateServiceRequest { Cluster = World.ClusterName, ServiceName = name, TaskDefinition = definition, DesiredCount = desired }));

    private static int Live(World world, string name) =>
        world.State.TasksOfGroup(world.ClusterArn, "service:" + name).Count(t => t.DesiredStatus == EcsTaskStatus.Running);

    [Fact]
    public void OnTheStateItWasPlannedOnEveryChangeApplies()
    {
        var world = new World();
        world.AddInstance(memory: 4096);
        Create(world, "a", world.Define(), 3);
        Create(world, "b", world.Define(), 2);
        var plan = ServicePass.Plan(world.State, world.Time, world.Ids, new Random(1));
        Assert.Equal(2, plan.Changes.Count);
        Assert.Equal(0, world.Apply(ServicePass.Apply(world.State, plan, plan.Changes)));
        Assert.Equal((3, 2), (Live(world, "a"), Live(world, "b")));
    }

    [Fact]
    public void AppliedInPiecesItEndsAsAppliedWhole()
    {
        var whole = new World();
        whole.AddInstance(memory: 4096);
        Create(whole, "a", whole.Define(), 3);
        Create(whole, "b", whole.Define(), 2);
        var pieces = new World { State = whole.State };
        var plan = ServicePass.Plan(whole.State, whole.Time, whole.Ids, new Random(1));
        whole.Apply(ServicePass.Apply(whole.State, plan, plan.Changes));

        // Each piece after the first finds the state moved (by the pieces before it) and re-checks: all still hold.
        foreach (var change in plan.Changes)
        {
            Assert.Equal(0, pieces.Apply(ServicePass.Apply(pieces.State, plan, [change])));
        }

        Assert.Equal(whole.State.Tasks.Keys, pieces.State.Tasks.Keys);
        Assert.Equal(whole.State.Services.Values.Select(s => s.RunningCount), pieces.State.Services.Values.Select(s => s.RunningCount));
    }

    [Fact]
    public void AServiceUpdatedSinceThePlanIsSkippedAndTheOthersApply()
    {
        var world = new World();
        world.AddInstance(memory: 4096);
        var definition = world.Define();
        Create(world, "a", definition, 3);
        Create(world, "b", definition, 2);
        var plan = ServicePass.Plan(world.State, world.Time, world.Ids, new Random(1));
        world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time, new UpdateServiceRequest { Cluster = World.ClusterName, Service = "a", DesiredCount = 1 }));

        Assert.Equal(1, world.Apply(ServicePass.Apply(world.State, plan, plan.Changes)));
        Assert.Equal((0, 2), (Live(world, "a"), Live(world, "b")));

        // The next pass plans "a" again on what is there now: one task, as updated.
        var again = ServicePass.Plan(world.State, world.Time, world.Ids, new Random(1));
        Assert.Equal(0, world.Apply(ServicePass.Apply(world.State, again, again.Changes)));
        Assert.Equal(1, Live(world, "a"));
    }

    [Fact]
    public void AServiceWhoseTaskReportedSinceThePlanIsSkipped()
    {
        var world = new World();
        world.AddInstance(memory: 4096);
        Create(world, "a", world.Define(), 2);
        world.Apply(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)));
        world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time, new UpdateServiceRequest { Cluster = World.ClusterName, Service = "a", DesiredCount = 1 }));
        var plan = ServicePass.Plan(world.State, world.Time, world.Ids, new Random(1));
        Assert.Single(plan.Changes);
        world.TaskReports(world.State.TasksOfGroup(world.ClusterArn, "service:a").First().TaskArn!, "RUNNING");

        Assert.Equal(1, world.Apply(ServicePass.Apply(world.State, plan, plan.Changes)));
        Assert.Equal(2, Live(world, "a"));
    }

    [Fact]
    public void StartsOnAnInstanceFilledSinceThePlanAreSkippedNeverOverCommitted()
    {
        var world = new World();
        var instance = world.AddInstance(memory: 512);
        var definition = world.Define(containers: World.Container(memory: 256));
        Create(world, "a", definition, 2);
        var plan = ServicePass.Plan(world.State, world.Time, world.Ids, new Random(1));

        // A RunTask takes half the instance between the plan and its commit: the service's two tasks no longer fit.
        world.RunOne(definition);
        Assert.Equal(1, world.Apply(ServicePass.Apply(world.State, plan, plan.Changes)));
        Assert.Equal(0, Live(world, "a"));
        Assert.Equal(0, World.Integer(world.Describe(instance), "MEMORY") < 0 ? -1 : 0);

        // Planned again, one fits.
        var again = ServicePass.Plan(world.State, world.Time, world.Ids, new Random(1));
        world.Apply(ServicePass.Apply(world.State, again, again.Changes));
        Assert.Equal(1, Live(world, "a"));
        Assert.Equal(0, World.Integer(world.Describe(instance), "MEMORY"));
    }

    [Fact]
    public void TasksPutTogetherAtTheEndStillCountForAFitComputedAgain()
    {
        // Twenty tasks of 256 MiB fill the instance; the plan places two services of ten there.
        var world = new World();
        var instance = world.AddInstance(memory: 5120);
        var definition = world.Define(containers: World.Container(memory: 256));
        Create(world, "a", definition, 10);
        Create(world, "b", definition, 10);
        var plan = ServicePass.Plan(world.State, world.Time, world.Ids, new Random(1));

        // A RunTask takes one slot before the commit. Each change's fit is computed again: "a" still fits, and "b"
        // must see "a"'s ten (put into the state only at the end, together) to know it no longer does.
        world.RunOne(definition);
        Assert.Equal(1, world.Apply(ServicePass.Apply(world.State, plan, plan.Changes)));
        Assert.Equal((10, 0), (Live(world, "a"), Live(world, "b")));
        Assert.Equal(256 * 9, World.Integer(world.Describe(instance), "MEMORY"));
    }

    [Fact]
    public void ManyTasksStartedAndStoppedInOneApplyKeepEveryIndex()
    {
        var world = new World();
        world.AddInstance(memory: 8192);
        world.AddInstance(memory: 8192, az: "us-east-1b");
        var definition = world.Define(containers: World.Container(memory: 256));
        Create(world, "a", definition, 12);
        Create(world, "b", definition, 9);

        // New tasks (the builders' path: more than a few at once), whole and then scaled in: the stops change tasks
        // the state already holds, moving them between index entries. World.Apply checks every index each time.
        world.Apply(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)));
        Assert.Equal((12, 9), (Live(world, "a"), Live(world, "b")));
        world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time, new UpdateServiceRequest { Cluster = World.ClusterName, Service = "a", DesiredCount = 2 }));
        world.Apply(ServiceDecisions.Update(world.State, Scope, world.Ids, world.Time, new UpdateServiceRequest { Cluster = World.ClusterName, Service = "b", DesiredCount = 0 }));
        world.Apply(ServicePass.Run(world.State, world.Time, world.Ids, new Random(1)));
        Assert.Equal((2, 0), (Live(world, "a"), Live(world, "b")));
        foreach (var task in world.State.Tasks.Values.Where(t => t.DesiredStatus == EcsTaskStatus.Stopped).ToList())
        {
            world.TaskReports(task.TaskArn, "STOPPED");
        }

        Assert.Equal(19, world.State.StoppedTasks.Count);
        Assert.Equal(2, world.State.LiveTasksByInstance.Values.Sum(v => v.Count));
    }
}
