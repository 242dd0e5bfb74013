using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.Tasks;

/// <summary>ECS's task lifecycle: the order of <c>lastStatus</c> values and the ways a task is asked to stop.</summary>
public static class TaskLifecycle
{
    /// <summary>Every <c>lastStatus</c> a task passes through, in order; a task only ever moves forward.</summary>
    public static readonly IReadOnlyList<string> Order =
        ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"];

    /// <summary>ECS's stoppedReason for StopTask without a reason.</summary>
    public const string StoppedByUser = "Task stopped by user";

    /// <summary>ECS's stoppedReason when an essential container exits.</summary>
    public const string EssentialContainerExited = "Essential container in task exited";

    /// <summary>ECS's stoppedReason for the tasks of a container instance deregistered with <c>force</c>.</summary>
    public const string DeregistrationForced = "Container instance deregistration forced by user";

    /// <summary>Position of a status in <see cref="Order"/>; -1 for a status ECS does not have.</summary>
    public static int Rank(string? status) => status is null ? -1 : IndexOf(status);

    /// <summary>Whether the task has started stopping (DEACTIVATING or later).</summary>
    public static bool IsStopping(string? status) => Rank(status) >= IndexOf("DEACTIVATING");

    /// <summary>
    /// A copy of the task with <c>desiredStatus</c> STOPPED: the agent stops it and reports STOPPED. The first
    /// stop code and reason win (a task the user stops after its essential container exited keeps that cause).
    /// Null when the task was already asked to stop.
    /// </summary>
    public static EcsTask? RequestStop(EcsTask task, DateTimeOffset now, string stopCode, string reason)
    {
        if (task.DesiredStatus == "STOPPED")
        {
            return null;
        }

        var next = StateCodec.Clone(task, StoredJsonContext.Default.EcsTask);
        next.DesiredStatus = "STOPPED";
        next.StopCode ??= stopCode;
        next.StoppedReason ??= reason;
        next.StoppingAt ??= now;
        next.Version = (next.Version ?? 0) + 1;
        return next;
    }

    /// <summary>
    /// A copy of the task that is over, without the agent's word (its host is lost): STOPPED both ways,
    /// every container STOPPED, stopped now. Null when the task was already STOPPED.
    /// </summary>
    public static EcsTask? ForceStopped(EcsTask task, DateTimeOffset now, string stopCode, string reason)
    {
        if (task.LastStatus == "STOPPED" && task.DesiredStatus == "STOPPED")
        {
            return null;
        }

        var next = StateCodec.Clone(task, StoredJsonContext.Default.EcsTask);
        next.StopCode ??= stopCode;
        next.StoppedReason ??= reason;
        MarkStopped(next, now, now);
        next.Version = (next.Version ?? 0) + 1;
        return next;
    }

    /// <summary>Sets what ECS shows once a task is STOPPED (in place, on a copy the caller owns).</summary>
    internal static void MarkStopped(EcsTask task, DateTimeOffset now, DateTimeOffset executionStoppedAt)
    {
        task.LastStatus = "STOPPED";
        task.DesiredStatus = "STOPPED";
        task.StoppingAt ??= now;
        task.ExecutionStoppedAt ??= executionStoppedAt;
        task.StoppedAt ??= now;
        foreach (var container in task.Containers ?? [])
        {
            container.LastStatus = "STOPPED";
        }
    }

    private static int IndexOf(string status)
    {
        for (var i = 0; i < Order.Count; i++)
        {
            if (Order[i] == status)
            {
                return i;
            }
        }

        return -1;
    }
}
