using Berth.Agent.Engine;
using TaskStatus = Berth.Agent.Engine.TaskStatus;

namespace Berth.Agent.Tests.Engine;

public class TaskTransitionsTests
{
    private static readonly TaskKnown Up = new(DesiredRunning: true, Provisioned: true, EverProvisioned: true);
    private static readonly TaskKnown Down = new(DesiredRunning: false, Provisioned: true, EverProvisioned: true);

    private static ContainerPlan Plan(string name, bool essential = true, bool health = false, params (string On, string Condition)[] deps)
        => new(name, essential, [.. deps.Select(d => new Dependency(d.On, d.Condition))], health);

    private static Dictionary<string, ContainerKnown> Known(params (string Name, ContainerKnown Known)[] entries)
        => entries.ToDictionary(e => e.Name, e => e.Known);

    private static ContainerKnown K(ContainerStatus status, int? exit = null, Health health = Health.Unknown, bool busy = false, string? reason = null)
        => new(status, busy, exit, health, reason, StartFailure: reason is not null);

    private static string Show(TaskDecision d)
        => $"{d.Status}|{d.TaskAction}|{string.Join(",", d.Actions.Select(a => $"{a.Kind}:{a.Container}"))}|{d.StopCode}";

    // Single container: the whole table of (desired, known) → next.
    [Theory]
    [InlineData(true, ContainerStatus.None, false, "Pending|None|Pull:a|")]
    [InlineData(true, ContainerStatus.None, true, "Pending|None||")]
    [InlineData(true, ContainerStatus.Pulled, false, "Pending|None|Create:a|")]
    [InlineData(true, ContainerStatus.Created, false, "Pending|None|Start:a|")]
    [InlineData(true, ContainerStatus.Created, true, "Pending|None||")]
    [InlineData(true, ContainerStatus.Running, false, "Running|None||")]
    [InlineData(true, ContainerStatus.Stopped, false, "Deprovisioning|Deprovision||EssentialContainerExited")]
    [InlineData(false, ContainerStatus.None, false, "Stopping|None|Abandon:a|")]
    [InlineData(false, ContainerStatus.Pulled, false, "Stopping|None|Abandon:a|")]
    [InlineData(false, ContainerStatus.Created, false, "Stopping|None|Abandon:a|")]
    [InlineData(false, ContainerStatus.Running, false, "Stopping|None|Stop:a|")]
    [InlineData(false, ContainerStatus.Running, true, "Stopping|None||")]
    [InlineData(false, ContainerStatus.Stopped, false, "Deprovisioning|Deprovision||")]
    public void OneContainer(bool desiredRunning, ContainerStatus status, bool busy, string expected)
    {
        var decision = TaskTransitions.Next([Plan("a")], Known(("a", K(status, busy: busy))), Up with { DesiredRunning = desiredRunning });
        Assert.Equal(expected, Show(decision));
    }

    [Fact]
    public void ProvisioningComesFirstAndDeprovisioningLast()
    {
        var plans = new[] { Plan("a") };
        var none = Known(("a", K(ContainerStatus.None)));
        Assert.Equal("Provisioning|Provision||", Show(TaskTransitions.Next(plans, none, new TaskKnown(true))));
        Assert.Equal("Provisioning|None||", Show(TaskTransitions.Next(plans, none, new TaskKnown(true, ProvisionBusy: true))));
        var stopped = Known(("a", K(ContainerStatus.Stopped, exit: 0)));
        Assert.Equal("Deprovisioning|None||", Show(TaskTransitions.Next(plans, stopped, Down with { ProvisionBusy = true })));
        Assert.Equal("Stopped|None||", Show(TaskTransitions.Next(plans, stopped, Down with { Provisioned = false })));

        // Stopped before it was ever provisioned: nothing to tear down.
        Assert.Equal("Stopping|None|Abandon:a|", Show(TaskTransitions.Next(plans, none, new TaskKnown(false))));
    }

    [Theory]
    [InlineData("START", ContainerStatus.Created, null, Health.Unknown, "Pending|None|Start:db|")]
    [InlineData("START", ContainerStatus.Running, null, Health.Unknown, "Pending|None|Start:app|")]
    [InlineData("COMPLETE", ContainerStatus.Running, null, Health.Unknown, "Pending|None||")]
    [InlineData("COMPLETE", ContainerStatus.Stopped, 1, Health.Unknown, "Pending|None|Start:app|")]
    [InlineData("SUCCESS", ContainerStatus.Stopped, 0, Health.Unknown, "Pending|None|Start:app|")]
    [InlineData("SUCCESS", ContainerStatus.Stopped, 2, Health.Unknown, "Stopping|None|Abandon:app|TaskFailedToStart")]
    [InlineData("HEALTHY", ContainerStatus.Running, null, Health.Unknown, "Pending|None||")]
    [InlineData("HEALTHY", ContainerStatus.Running, null, Health.Unhealthy, "Pending|None||")]
    [InlineData("HEALTHY", ContainerStatus.Running, null, Health.Healthy, "Pending|None|Start:app|")]
    [InlineData("HEALTHY", ContainerStatus.Stopped, 0, Health.Unknown, "Stopping|None|Abandon:app|TaskFailedToStart")]
    public void DependenciesGateTheStart(string condition, ContainerStatus dbStatus, int? dbExit, Health dbHealth, string expected)
    {
        // db is non-essential so that its exit alone does not stop the task.
        var plans = new[] { Plan("db", essential: false, health: true), Plan("app", deps: ("db", condition)) };
        var known = Known(("db", K(dbStatus, dbExit, dbHealth)), ("app", K(ContainerStatus.Created)));
        Assert.Equal(expected, Show(TaskTransitions.Next(plans, known, Up)));
    }

    [Fact]
    public void ContainersStopInReverseDependencyOrder()
    {
        var plans = new[] { Plan("db"), Plan("app", deps: ("db", "START")), Plan("sidecar", deps: ("app", "START")) };
        var all = Known(("db", K(ContainerStatus.Running)), ("app", K(ContainerStatus.Running)), ("sidecar", K(ContainerStatus.Running)));
        Assert.Equal("Stopping|None|Stop:sidecar|", Show(TaskTransitions.Next(plans, all, Down)));
        all["sidecar"] = K(ContainerStatus.Stopped, 0);
        Assert.Equal("Stopping|None|Stop:app|", Show(TaskTransitions.Next(plans, all, Down)));
        all["app"] = K(ContainerStatus.Stopped, 0);
        Assert.Equal("Stopping|None|Stop:db|", Show(TaskTransitions.Next(plans, all, Down)));
    }

    [Fact]
    public void ANonEssentialExitDoesNotStopTheTask()
    {
        var plans = new[] { Plan("init", essential: false), Plan("app") };
        var known = Known(("init", K(ContainerStatus.Stopped, 1)), ("app", K(ContainerStatus.Running)));
        Assert.Equal("Running|None||", Show(TaskTransitions.Next(plans, known, Up)));
    }

    [Fact]
    public void APullFailureStopsTheTaskWithItsReason()
    {
        var plans = new[] { Plan("a"), Plan("b") };
        var known = Known(("a", K(ContainerStatus.Stopped, reason: "CannotPullContainerError: no such image")), ("b", K(ContainerStatus.Running)));
        var decision = TaskTransitions.Next(plans, known, Up);
        Assert.Equal("Stopping|None|Stop:b|TaskFailedToStart", Show(decision));
        Assert.Equal("CannotPullContainerError: no such image", decision.StopReason);
    }

    [Fact]
    public void IndependentContainersMoveInParallel()
    {
        var plans = new[] { Plan("a"), Plan("b"), Plan("c", deps: ("a", "START")) };
        var known = Known(("a", K(ContainerStatus.None)), ("b", K(ContainerStatus.Pulled)), ("c", K(ContainerStatus.Created)));
        Assert.Equal("Pending|None|Pull:a,Create:b|", Show(TaskTransitions.Next(plans, known, Up)));
    }

    [Theory]
    [InlineData(Health.Healthy, Health.Healthy, Health.Healthy)]
    [InlineData(Health.Healthy, Health.Unknown, Health.Unknown)]
    [InlineData(Health.Unhealthy, Health.Healthy, Health.Unhealthy)]
    public void TaskHealthFollowsEssentialContainers(Health a, Health b, Health expected)
    {
        var plans = new[] { Plan("a", health: true), Plan("b", health: true), Plan("c", essential: false, health: true) };
        var known = Known(("a", K(ContainerStatus.Running, health: a)), ("b", K(ContainerStatus.Running, health: b)), ("c", K(ContainerStatus.Running, health: Health.Unhealthy)));
        Assert.Equal(expected, TaskTransitions.TaskHealth(plans, known));
    }

    [Theory]
    [InlineData(TaskStatus.Provisioning, TaskStatus.Running, "Pending,Activating,Running")]
    [InlineData(TaskStatus.Running, TaskStatus.Stopped, "Deactivating,Stopping,Deprovisioning,Stopped")]
    [InlineData(TaskStatus.Pending, TaskStatus.Stopped, "Deactivating,Stopping,Deprovisioning,Stopped")]
    [InlineData(TaskStatus.Running, TaskStatus.Running, "")]
    [InlineData(TaskStatus.Stopped, TaskStatus.Running, "")]
    public void StatusesAreReportedInOrderWithoutSkipping(TaskStatus from, TaskStatus to, string expected)
        => Assert.Equal(expected, string.Join(",", TaskTransitions.Path(from, to)));

    [Fact]
    public void AContainerIsCreatedOnlyOnceTheContainersItMountsVolumesFromExist()
    {
        var plans = new[] { Plan("data", essential: false), new ContainerPlan("app", true, [], false, ["data"]) };
        var known = Known(("data", K(ContainerStatus.Pulled)), ("app", K(ContainerStatus.Pulled)));
        Assert.Equal("Pending|None|Create:data|", Show(TaskTransitions.Next(plans, known, Up)));
        known["data"] = K(ContainerStatus.Created);
        Assert.Equal("Pending|None|Start:data,Create:app|", Show(TaskTransitions.Next(plans, known, Up)));
        known["data"] = K(ContainerStatus.Stopped, reason: "CannotCreateContainerError: x");
        Assert.Equal("TaskFailedToStart", TaskTransitions.Next(plans, known, Up).StopCode);
    }
}
