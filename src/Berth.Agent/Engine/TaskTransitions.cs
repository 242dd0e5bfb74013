namespace Berth.Agent.Engine;

/// <summary>What is known of the task as a whole, besides its containers.</summary>
/// <param name="DesiredRunning">The server wants it RUNNING (false: STOPPED).</param>
/// <param name="Provisioned">Its task-level resources (network namespace for awsvpc) are set up.</param>
/// <param name="ProvisionBusy">Setting them up or tearing them down is in flight.</param>
/// <param name="EverProvisioned">They were set up at some point (so they need tearing down).</param>
/// <param name="Failure">A step of the agent failed unexpectedly (not a Docker refusal it knows how to report): the task stops with this reason.</param>
public sealed record TaskKnown(bool DesiredRunning, bool Provisioned = false, bool ProvisionBusy = false, bool EverProvisioned = false, string? Failure = null);

/// <summary>Task-level steps.</summary>
public enum TaskActionKind
{
    /// <summary>Nothing task-level to do.</summary>
    None,

    /// <summary>Set up the task's network and resources.</summary>
    Provision,

    /// <summary>Tear them down.</summary>
    Deprovision,
}

/// <summary>The next steps for a task and the status it is in.</summary>
/// <param name="Status">The task's status given what is known.</param>
/// <param name="TaskAction">A task-level step to take now.</param>
/// <param name="Actions">Container steps to take now; they may run in parallel.</param>
/// <param name="StopReason">Set when the task must stop on its own (essential container exited, a container failed to start, a dependency can never be met); the task then counts as desired STOPPED.</param>
/// <param name="StopCode">ECS's stop code for <paramref name="StopReason"/>.</param>
public sealed record TaskDecision(TaskStatus Status, TaskActionKind TaskAction, IReadOnlyList<ContainerAction> Actions, string? StopReason, string? StopCode);

/// <summary>
/// The agent's next step for a task as a pure function of (what is known, what is desired, the
/// dependencies between containers) — the only place that decides ordering, so it is tested as a table.
/// One actor per task applies the decision and feeds back what happened.
/// </summary>
public static class TaskTransitions
{
    /// <summary>ECS's stop code when an essential container exits.</summary>
    public const string EssentialContainerExited = "EssentialContainerExited";

    /// <summary>ECS's stop code when the task never got going.</summary>
    public const string TaskFailedToStart = "TaskFailedToStart";

    /// <summary>Decides the next steps. <paramref name="known"/> has an entry for every planned container.</summary>
    public static TaskDecision Next(IReadOnlyList<ContainerPlan> plans, IReadOnlyDictionary<string, ContainerKnown> known, TaskKnown task)
    {
        var (stopReason, stopCode) = task.DesiredRunning ? WhyStop(plans, known, task) : (null, null);
        var running = task.DesiredRunning && stopReason is null;
        return running ? Start(plans, known, task) : Stop(plans, known, task, stopReason, stopCode);
    }

    /// <summary>Task health: UNHEALTHY if an essential container is, HEALTHY if every essential container with a check is, else UNKNOWN.</summary>
    public static Health TaskHealth(IReadOnlyList<ContainerPlan> plans, IReadOnlyDictionary<string, ContainerKnown> known)
    {
        var checkedEssentials = 0;
        var healthy = 0;
        foreach (var plan in plans)
        {
            if (!plan.Essential || !plan.HasHealthCheck)
            {
                continue;
            }

            checkedEssentials++;
            switch (known[plan.Name].Health)
            {
                case Health.Unhealthy:
                    return Health.Unhealthy;
                case Health.Healthy:
                    healthy++;
                    break;
            }
        }

        return checkedEssentials > 0 && healthy == checkedEssentials ? Health.Healthy : Health.Unknown;
    }

    /// <summary>The statuses to report, in order, when moving from <paramref name="from"/> to <paramref name="to"/> (ECS never skips one in its reports).</summary>
    public static IReadOnlyList<TaskStatus> Path(TaskStatus from, TaskStatus to)
    {
        if (to <= from)
        {
            return [];
        }

        var path = new List<TaskStatus>();
        for (var status = from + 1; status <= to; status++)
        {
            // A task stopped before it ever ran skips straight to stopping, as ECS shows it.
            if (from < TaskStatus.Running && status is TaskStatus.Activating or TaskStatus.Running && to > TaskStatus.Running)
            {
                continue;
            }

            path.Add(status);
        }

        return path;
    }

    private static TaskDecision Start(IReadOnlyList<ContainerPlan> plans, IReadOnlyDictionary<string, ContainerKnown> known, TaskKnown task)
    {
        if (!task.Provisioned)
        {
            return new TaskDecision(TaskStatus.Provisioning, task.ProvisionBusy ? TaskActionKind.None : TaskActionKind.Provision, [], null, null);
        }

        var actions = new List<ContainerAction>();
        var waiting = false;
        foreach (var plan in plans)
        {
            var container = known[plan.Name];
            switch (container.Status)
            {
                case ContainerStatus.None:
                    waiting = true;
                    Add(actions, container, plan.Name, ActionKind.Pull);
                    break;
                case ContainerStatus.Pulled:
                    waiting = true;
                    if ((plan.VolumesFrom ?? []).All(source => known[source] is { Busy: false, Status: ContainerStatus.Created or ContainerStatus.Running or ContainerStatus.Stopped }))
                    {
                        Add(actions, container, plan.Name, ActionKind.Create);
                    }

                    break;
                case ContainerStatus.Created:
                    waiting = true;
                    if (plan.DependsOn.All(d => Satisfied(d, known[d.Container])))
                    {
                        Add(actions, container, plan.Name, ActionKind.Start);
                    }

                    break;
                case ContainerStatus.Running when container.Busy:
                    waiting = true;
                    break;
            }
        }

        return new TaskDecision(waiting ? TaskStatus.Pending : TaskStatus.Running, TaskActionKind.None, actions, null, null);
    }

    private static TaskDecision Stop(IReadOnlyList<ContainerPlan> plans, IReadOnlyDictionary<string, ContainerKnown> known, TaskKnown task, string? reason, string? code)
    {
        var actions = new List<ContainerAction>();
        var anyLeft = false;
        foreach (var plan in plans)
        {
            var container = known[plan.Name];
            switch (container.Status)
            {
                case ContainerStatus.Stopped:
                    break;
                case ContainerStatus.Running:
                    anyLeft = true;

                    // Reverse dependency order: a container stops only once nothing running depends on it.
                    if (!plans.Any(p => p.Name != plan.Name && known[p.Name].Status == ContainerStatus.Running && p.DependsOn.Any(d => d.Container == plan.Name)))
                    {
                        Add(actions, container, plan.Name, ActionKind.Stop);
                    }

                    break;
                default:
                    anyLeft = true;
                    Add(actions, container, plan.Name, ActionKind.Abandon);
                    break;
            }
        }

        if (anyLeft)
        {
            return new TaskDecision(TaskStatus.Stopping, TaskActionKind.None, actions, reason, code);
        }

        if (task.Provisioned || task.ProvisionBusy)
        {
            return new TaskDecision(TaskStatus.Deprovisioning, task.ProvisionBusy ? TaskActionKind.None : TaskActionKind.Deprovision, [], reason, code);
        }

        return new TaskDecision(TaskStatus.Stopped, TaskActionKind.None, [], reason, code);
    }

    private static void Add(List<ContainerAction> actions, ContainerKnown container, string name, ActionKind kind)
    {
        if (!container.Busy)
        {
            actions.Add(new ContainerAction(name, kind));
        }
    }

    private static (string? Reason, string? Code) WhyStop(IReadOnlyList<ContainerPlan> plans, IReadOnlyDictionary<string, ContainerKnown> known, TaskKnown task)
    {
        if (task.Failure is not null)
        {
            // ECS has no stop code for an agent's own failure: a task none of whose containers ran failed to start;
            // for one that ran the server keeps its own.
            var ran = plans.Any(p => known[p.Name] is { Status: ContainerStatus.Running } or { Status: ContainerStatus.Stopped, ExitCode: not null });
            return (task.Failure, ran ? null : TaskFailedToStart);
        }

        foreach (var plan in plans)
        {
            var container = known[plan.Name];
            if (container.Status == ContainerStatus.Stopped && container.StartFailure)
            {
                return (container.Reason ?? "Task failed to start", TaskFailedToStart);
            }
        }

        foreach (var plan in plans)
        {
            if (plan.Essential && known[plan.Name].Status == ContainerStatus.Stopped)
            {
                return ("Essential container in task exited", EssentialContainerExited);
            }
        }

        foreach (var plan in plans)
        {
            if (known[plan.Name].Status is ContainerStatus.Running or ContainerStatus.Stopped)
            {
                continue;
            }

            foreach (var source in plan.VolumesFrom ?? [])
            {
                if (known[source] is { Status: ContainerStatus.Stopped, StartFailure: true })
                {
                    return ($"Container '{plan.Name}' mounts volumes from container '{source}', which failed to start", TaskFailedToStart);
                }
            }

            foreach (var dependency in plan.DependsOn)
            {
                if (Unsatisfiable(dependency, known[dependency.Container]))
                {
                    return ($"Dependency condition {dependency.Condition} of container '{plan.Name}' on container '{dependency.Container}' can never be met", TaskFailedToStart);
                }
            }
        }

        return (null, null);
    }

    private static bool Satisfied(Dependency dependency, ContainerKnown on) => dependency.Condition switch
    {
        "START" => on.Status is ContainerStatus.Running or ContainerStatus.Stopped,
        "COMPLETE" => on.Status == ContainerStatus.Stopped,
        "SUCCESS" => on.Status == ContainerStatus.Stopped && on.ExitCode == 0,
        "HEALTHY" => on.Status == ContainerStatus.Running && on.Health == Health.Healthy,
        _ => false,
    };

    private static bool Unsatisfiable(Dependency dependency, ContainerKnown on) => dependency.Condition switch
    {
        "SUCCESS" => on.Status == ContainerStatus.Stopped && on.ExitCode != 0,
        "HEALTHY" => on.Status == ContainerStatus.Stopped,
        _ => on.Status == ContainerStatus.Stopped && on.StartFailure,
    };
}
