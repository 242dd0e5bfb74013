namespace Berth.Ecs.Tasks;

/// <summary>ECS's task lifecycle: the order of <c>lastStatus</c> values and the ways a task is asked to stop.</summary>
public static class TaskLifecycle
{
    /// <summary>ECS's stoppedReason for StopTask without a reason.</summary>
    public const string StoppedByUser = "Task stopped by user";

    /// <summary>ECS's stoppedReason when an essential container exits.</summary>
    public const string EssentialContainerExited = "Essential container in task exited";

    /// <summary>ECS's stoppedReason for the tasks of a container instance deregistered with <c>force</c>.</summary>
    public const string DeregistrationForced = "Container instance deregistration forced by user";

    /// <summary>Whether the task has started stopping (DEACTIVATING or later).</summary>
    public static bool IsStopping(EcsTaskStatus status) => status >= EcsTaskStatus.Deactivating;

    /// <summary>
    /// The task with <c>desiredStatus</c> STOPPED: the agent stops it and reports STOPPED. The first stop code and
    /// reason win (a task the user stops after its essential container exited keeps that cause). Null when the task
    /// was already asked to stop. A task still waiting for capacity (on no instance, no agent to ask) is STOPPED at once.
    /// </summary>
    public static TaskRecord? RequestStop(TaskRecord task, DateTimeOffset now, StopCode stopCode, string reason)
    {
        if (task.DesiredStatus == EcsTaskStatus.Stopped)
        {
            return null;
        }

        if (Capacity.TaskProvisioning.Waits(task))
        {
            return ForceStopped(task, now, stopCode, reason);
        }

        return task with
        {
            DesiredStatus = EcsTaskStatus.Stopped,
            StopCode = task.StopCode ?? stopCode,
            StoppedReason = task.StoppedReason ?? reason,
            StoppingAt = task.StoppingAt ?? now,
            Version = task.Version + 1,
        };
    }

    /// <summary>
    /// A stop (<paramref name="stopping"/>, what <see cref="RequestStop"/> made of <paramref name="task"/>) of a task
    /// whose service puts it behind load balancers: a RUNNING task is DEACTIVATING first — its targets are
    /// deregistered and drain for their group's deregistration delay while the agent is still told RUNNING
    /// (<see cref="TaskRecord.AgentDesiredStatus"/>), and only then does it move on to STOPPING and get its stop
    /// signal — as ECS does for every stop of such a task, the service's own or StopTask's. A task not yet RUNNING
    /// has nothing to drain and stops at once.
    /// </summary>
    public static TaskRecord DrainFirst(TaskRecord task, TaskRecord stopping, bool behindLoadBalancers)
        => behindLoadBalancers && task.LastStatus == EcsTaskStatus.Running && stopping.DesiredStatus == EcsTaskStatus.Stopped && stopping.LastStatus == EcsTaskStatus.Running
            ? stopping with { LastStatus = EcsTaskStatus.Deactivating }
            : stopping;

    /// <summary>
    /// The task over without the agent's word (its host is lost): STOPPED both ways, every container STOPPED,
    /// stopped now. Null when the task was already STOPPED.
    /// </summary>
    public static TaskRecord? ForceStopped(TaskRecord task, DateTimeOffset now, StopCode stopCode, string reason)
    {
        if (task.LastStatus == EcsTaskStatus.Stopped && task.DesiredStatus == EcsTaskStatus.Stopped)
        {
            return null;
        }

        return Stopped(task with { StopCode = task.StopCode ?? stopCode, StoppedReason = task.StoppedReason ?? reason }, now, now) with { Version = task.Version + 1 };
    }

    /// <summary>The task as ECS shows it once STOPPED: both statuses, the stop times, every container STOPPED.</summary>
    internal static TaskRecord Stopped(TaskRecord task, DateTimeOffset now, DateTimeOffset executionStoppedAt) => task with
    {
        LastStatus = EcsTaskStatus.Stopped,
        DesiredStatus = EcsTaskStatus.Stopped,
        StoppingAt = task.StoppingAt ?? now,
        ExecutionStoppedAt = task.ExecutionStoppedAt ?? executionStoppedAt,
        StoppedAt = task.StoppedAt ?? now,
        Containers = task.Containers.All(c => c.LastStatus == ContainerStatus.Stopped)
            ? task.Containers
            : [.. task.Containers.Select(c => c.LastStatus == ContainerStatus.Stopped ? c : c with { LastStatus = ContainerStatus.Stopped })],
    };
}
