using Berth.Agent.Engine;
using TaskStatus = Berth.Agent.Engine.TaskStatus;

namespace Berth.Agent.Tests.Engine;

/// <summary>Every combination of what can be known of a three-container task, checked against the rules that must always hold.</summary>
public class TaskTransitionsInvariantTests
{
    // db ← app (HEALTHY), init (non-essential) → app (SUCCESS): the orderings ECS users write most.
    private static readonly ContainerPlan[] Plans =
    [
        new("db", true, [], true),
        new("init", false, [], false),
        new("app", true, [new Dependency("db", "HEALTHY"), new Dependency("init", "SUCCESS")], false),
    ];

    private static readonly ContainerKnown[] States =
    [
        new(ContainerStatus.None), new(ContainerStatus.None, Busy: true),
        new(ContainerStatus.Pulled), new(ContainerStatus.Created), new(ContainerStatus.Created, Busy: true),
        new(ContainerStatus.Running), new(ContainerStatus.Running, Health: Health.Healthy), new(ContainerStatus.Running, Busy: true),
        new(ContainerStatus.Stopped, ExitCode: 0), new(ContainerStatus.Stopped, ExitCode: 1),
        new(ContainerStatus.Stopped, Reason: "CannotPullContainerError: x", StartFailure: true),
    ];

    public static IEnumerable<object[]> Tasks()
    {
        foreach (var desired in new[] { true, false })
        {
            foreach (var provisioned in new[] { true, false })
            {
                yield return [desired, provisioned];
            }
        }
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void InvariantsHoldForEveryCombination(bool desiredRunning, bool provisioned)
    {
        var checkedCount = 0;
        foreach (var db in States)
        {
            foreach (var init in States)
            {
                foreach (var app in States)
                {
                    var known = new Dictionary<string, ContainerKnown> { ["db"] = db, ["init"] = init, ["app"] = app };
                    var task = new TaskKnown(desiredRunning, provisioned, EverProvisioned: provisioned);
                    var decision = TaskTransitions.Next(Plans, known, task);
                    Check(known, task, decision);
                    checkedCount++;
                }
            }
        }

        Assert.Equal(States.Length * States.Length * States.Length, checkedCount);
    }

    private static void Check(Dictionary<string, ContainerKnown> known, TaskKnown task, TaskDecision decision)
    {
        var stopping = !task.DesiredRunning || decision.StopReason is not null;
        foreach (var action in decision.Actions)
        {
            var container = known[action.Container];
            Assert.False(container.Busy, $"{action} on a busy container");
            Assert.NotEqual(ContainerStatus.Stopped, container.Status);
            if (stopping)
            {
                Assert.True(action.Kind is ActionKind.Stop or ActionKind.Abandon, $"{action} while stopping");
            }

            switch (action.Kind)
            {
                case ActionKind.Start:
                    Assert.Equal(ContainerStatus.Created, container.Status);
                    if (action.Container != "app")
                    {
                        break;
                    }

                    Assert.True(known["db"].Health == Health.Healthy && known["db"].Status == ContainerStatus.Running, "app started before db was healthy");
                    Assert.True(known["init"] is { Status: ContainerStatus.Stopped, ExitCode: 0 }, "app started before init succeeded");
                    break;
                case ActionKind.Stop:
                    Assert.Equal(ContainerStatus.Running, container.Status);
                    Assert.False(action.Container == "db" && known["app"].Status == ContainerStatus.Running, "db stopped while app, which depends on it, runs");
                    break;
                case ActionKind.Pull:
                    Assert.Equal(ContainerStatus.None, container.Status);
                    break;
                case ActionKind.Create:
                    Assert.Equal(ContainerStatus.Pulled, container.Status);
                    break;
            }
        }

        if (!task.Provisioned && !stopping)
        {
            Assert.Empty(decision.Actions);
            Assert.Equal(TaskStatus.Provisioning, decision.Status);
        }

        if (decision.Status == TaskStatus.Running)
        {
            Assert.All(known.Values, k => Assert.True(k.Status is ContainerStatus.Running or ContainerStatus.Stopped && !(k.Status == ContainerStatus.Running && k.Busy)));
        }

        if (decision.Status == TaskStatus.Stopped)
        {
            Assert.All(known.Values, k => Assert.Equal(ContainerStatus.Stopped, k.Status));
            Assert.False(task.Provisioned);
        }

        if (known.Values.Any(k => k.StartFailure) && task.DesiredRunning)
        {
            Assert.Equal(TaskTransitions.TaskFailedToStart, decision.StopCode);
        }
        else if (known["db"].Status == ContainerStatus.Stopped || known["app"].Status == ContainerStatus.Stopped)
        {
            if (task.DesiredRunning)
            {
                Assert.Equal(TaskTransitions.EssentialContainerExited, decision.StopCode);
            }
        }

        // Stopping always makes progress: something to do, something in flight, or done.
        if (stopping && decision.Status is TaskStatus.Stopping)
        {
            Assert.True(decision.Actions.Count > 0 || known.Values.Any(k => k.Busy), "stopping is stuck");
        }
    }
}
