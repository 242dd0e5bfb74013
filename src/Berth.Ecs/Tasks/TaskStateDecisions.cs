using System.Collections.Immutable;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.Tasks;

/// <summary>
/// SubmitTaskStateChange and SubmitContainerStateChange: what the agent reports about the tasks it runs.
/// Reports are applied forward only — a stale or backward status is acknowledged and ignored, so the agent
/// may retry freely — and every change bumps the task's <c>version</c>.
/// </summary>
public static class TaskStateDecisions
{
    /// <summary>What ECS answers a state change with.</summary>
    public const string Acknowledgment = "true";

    /// <summary>
    /// SubmitTaskStateChange: containers first, then the task's status. RUNNING stamps startedAt and
    /// connectivityAt; DEACTIVATING..DEPROVISIONING stamp stoppingAt; STOPPED stamps executionStoppedAt and
    /// stoppedAt and makes desiredStatus STOPPED. A task STOPPED before it ever ran failed to start
    /// (stop code TaskFailedToStart, the reported reason).
    /// </summary>
    public static Decision<EcsState, string> SubmitTask(EcsState state, Scope scope, DateTimeOffset now, SubmitTaskStateChangeRequest request)
    {
        var task = Resolve(state, scope, request.Cluster, request.Task);
        CheckHealth(request.HealthStatus);
        var definition = TaskResources.DefinitionOf(state, task);
        var next = task with { PullStartedAt = task.PullStartedAt ?? request.PullStartedAt, PullStoppedAt = task.PullStoppedAt ?? request.PullStoppedAt };
        var status = WireText.Parse<EcsTaskStatus>(request.Status);
        var advances = status is { } reported && reported > next.LastStatus;
        if (advances && status == EcsTaskStatus.Stopped && next.StartedAt is null && next.StopCode is null)
        {
            // Decided before the containers so that a pull failure is not taken for an essential container's exit.
            next = next with
            {
                StopCode = StopCode.TaskFailedToStart,
                StoppedReason = NonEmpty(request.Reason)
                    ?? request.Containers?.Select(c => NonEmpty(c.Reason)).FirstOrDefault(r => r is not null)
                    ?? "Task failed to start",
            };
        }
        else if (advances && status == EcsTaskStatus.Stopped && next.DesiredStatus == EcsTaskStatus.Running && next.StopCode is null && NonEmpty(request.Reason) is { } reason)
        {
            // The agent stopped a task that ran on its own (an essential container exited, or the agent failed): its reason stands.
            next = next with { StopCode = StopCode.EssentialContainerExited, StoppedReason = reason };
        }

        foreach (var change in request.Containers ?? [])
        {
            next = Apply(next, definition, change.ContainerName, change.Status, change.ExitCode, change.Reason, change.RuntimeId, change.NetworkBindings, change.HealthStatus, change.ImageDigest, now);
        }

        foreach (var change in request.Attachments ?? [])
        {
            next = ApplyAttachment(next, change);
        }

        if (advances)
        {
            next = Advance(next, status!.Value, now, request.ExecutionStoppedAt);
        }

        if (WireText.Parse<HealthStatus>(request.HealthStatus) is { } health)
        {
            next = next with { HealthStatus = health };
        }

        return Save(state, task, next);
    }

    // An awsvpc task's network interface as the agent set it up: its status and its address, also shown on
    // each container's networkInterfaces as ECS does.
    private static TaskRecord ApplyAttachment(TaskRecord task, AttachmentStateChange change)
    {
        var index = IndexOf(task.Attachments, a => change.AttachmentArn == a.Id || change.AttachmentArn?.EndsWith("/" + a.Id, StringComparison.Ordinal) == true);
        if (index < 0 || change.Status is null)
        {
            return task;
        }

        var attachment = task.Attachments[index];
        var details = attachment.Details;
        foreach (var detail in change.Details ?? [])
        {
            details = [.. details.Where(d => d.Name != detail.Name), new NameValue(detail.Name ?? string.Empty, detail.Value)];
        }

        attachment = attachment with { Status = change.Status, Details = details };
        task = task with { Attachments = task.Attachments.SetItem(index, attachment) };
        var address = attachment.Details.FirstOrDefault(d => d.Name == "privateIPv4Address")?.Value;
        if (address is null)
        {
            return task;
        }

        ImmutableArray<ContainerInterface> interfaces = [new ContainerInterface(attachment.Id, address)];
        return task with { Containers = [.. task.Containers.Select(c => c with { NetworkInterfaces = interfaces })] };
    }

    /// <summary>
    /// SubmitContainerStateChange: the container's status (forward only), exit code, reason, runtime ID,
    /// network bindings and health. An essential container that stops while its task should run makes the
    /// task desired STOPPED (EssentialContainerExited, or TaskFailedToStart when the task never ran).
    /// </summary>
    public static Decision<EcsState, string> SubmitContainer(EcsState state, Scope scope, DateTimeOffset now, SubmitContainerStateChangeRequest request)
    {
        var task = Resolve(state, scope, request.Cluster, request.Task);
        CheckHealth(request.HealthStatus);
        var next = Apply(task, TaskResources.DefinitionOf(state, task), request.ContainerName, request.Status, request.ExitCode, request.Reason, request.RuntimeId, request.NetworkBindings, request.HealthStatus, null, now);
        return Save(state, task, next);
    }

    private static TaskRecord Resolve(EcsState state, Scope scope, string? clusterRef, string? taskRef)
    {
        var cluster = ClusterRules.RequireActive(state, scope, clusterRef);
        return TaskQueries.Find(state, scope, cluster, taskRef) ?? throw AwsException.InvalidParameter("The referenced task was not found.");
    }

    private static TaskRecord Apply(TaskRecord task, TaskDefinition? definition, string? name, string? status, int? exitCode, string? reason, string? runtimeId, List<NetworkBinding>? bindings, string? health, string? imageDigest, DateTimeOffset now)
    {
        CheckHealth(health);
        var index = IndexOf(task.Containers, c => c.Name == name);
        if (index < 0)
        {
            throw AwsException.InvalidParameter($"The referenced container {name} was not found in task {task.TaskArn}.");
        }

        var before = task.Containers[index];
        var reportedBindings = bindings?.Select(TaskViews.FromWire).ToImmutableArray();
        var container = before with
        {
            ExitCode = exitCode ?? before.ExitCode,
            Reason = NonEmpty(reason) ?? before.Reason,
            RuntimeId = NonEmpty(runtimeId) ?? before.RuntimeId,
            ImageDigest = NonEmpty(imageDigest) ?? before.ImageDigest,
            // The same bindings reported again keep the array the state holds, so nothing looks changed.
            NetworkBindings = reportedBindings is { } given && !given.SequenceEqual(before.NetworkBindings) ? given : before.NetworkBindings,
            HealthStatus = WireText.Parse<HealthStatus>(health) ?? before.HealthStatus,
        };
        var advanced = WireText.Parse<ContainerStatus>(status) is { } next && next > before.LastStatus;
        if (advanced)
        {
            container = container with { LastStatus = WireText.Parse<ContainerStatus>(status)!.Value };
        }

        if (container != before)
        {
            task = task with { Containers = task.Containers.SetItem(index, container) };
        }

        var essential = definition?.ContainerDefinitions?.FirstOrDefault(d => d.Name == name)?.Essential != false;
        if (advanced && container.LastStatus == ContainerStatus.Stopped && essential && task.DesiredStatus == EcsTaskStatus.Running)
        {
            // A container that never started (image pull, create) failed the task's start; one that ran exited.
            var failedToStart = task.StartedAt is null && container.Reason is not null;
            task = task with
            {
                DesiredStatus = EcsTaskStatus.Stopped,
                StopCode = task.StopCode ?? (failedToStart ? StopCode.TaskFailedToStart : StopCode.EssentialContainerExited),
                StoppedReason = task.StoppedReason ?? (failedToStart ? container.Reason : TaskLifecycle.EssentialContainerExited),
                StoppingAt = task.StoppingAt ?? now,
            };
        }

        return task;
    }

    private static TaskRecord Advance(TaskRecord task, EcsTaskStatus status, DateTimeOffset now, DateTimeOffset? executionStoppedAt)
    {
        task = task with { LastStatus = status };
        if (status == EcsTaskStatus.Running)
        {
            task = task with { StartedAt = task.StartedAt ?? now, ConnectivityAt = task.ConnectivityAt ?? now, Connectivity = Connectivity.Connected };
        }

        if (TaskLifecycle.IsStopping(status))
        {
            task = task with { StoppingAt = task.StoppingAt ?? now };
        }

        if (status == EcsTaskStatus.Stopped)
        {
            // A task that ran and stopped without being asked to stopped because its essential container did.
            task = TaskLifecycle.Stopped(task with { StopCode = task.StopCode ?? StopCode.EssentialContainerExited, StoppedReason = task.StoppedReason ?? TaskLifecycle.EssentialContainerExited }, now, executionStoppedAt ?? now);
        }

        return task;
    }

    // A report that changes nothing writes nothing; any change bumps the version.
    private static Decision<EcsState, string> Save(EcsState state, TaskRecord before, TaskRecord after)
    {
        var edit = new StateEdit(state);
        if (after == before)
        {
            return edit.Done(Acknowledgment);
        }

        edit.Put(after with { Version = before.Version + 1 });
        return edit.Done(Acknowledgment);
    }

    private static void CheckHealth(string? health)
    {
        if (health is not null && Array.IndexOf(WireEnums.HealthStatus, health) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for healthStatus: {health}. Valid values are {string.Join(", ", WireEnums.HealthStatus)}.");
        }
    }

    private static int IndexOf<T>(ImmutableArray<T> items, Func<T, bool> match)
    {
        for (var i = 0; i < items.Length; i++)
        {
            if (match(items[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
