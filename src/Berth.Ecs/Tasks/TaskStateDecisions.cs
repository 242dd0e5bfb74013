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

    private static readonly string[] ContainerOrder = ["PENDING", "RUNNING", "STOPPED"];

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
        var next = StateCodec.Clone(task, StoredJsonContext.Default.EcsTask);
        var definition = TaskResources.DefinitionOf(state, task);
        next.PullStartedAt ??= request.PullStartedAt;
        next.PullStoppedAt ??= request.PullStoppedAt;
        var advances = TaskLifecycle.Rank(request.Status) > TaskLifecycle.Rank(next.LastStatus);
        if (advances && request.Status == "STOPPED" && next.StartedAt is null && next.StopCode is null)
        {
            // Decided before the containers so that a pull failure is not taken for an essential container's exit.
            next.StopCode = "TaskFailedToStart";
            next.StoppedReason = NonEmpty(request.Reason)
                ?? request.Containers?.Select(c => NonEmpty(c.Reason)).FirstOrDefault(r => r is not null)
                ?? "Task failed to start";
        }
        else if (advances && request.Status == "STOPPED" && next.DesiredStatus == "RUNNING" && next.StopCode is null && NonEmpty(request.Reason) is { } reason)
        {
            // The agent stopped a task that ran on its own (an essential container exited, or the agent failed): its reason stands.
            next.StopCode = "EssentialContainerExited";
            next.StoppedReason = reason;
        }

        foreach (var change in request.Containers ?? [])
        {
            Apply(next, definition, change.ContainerName, change.Status, change.ExitCode, change.Reason, change.RuntimeId, change.NetworkBindings, change.HealthStatus, change.ImageDigest, now);
        }

        foreach (var change in request.Attachments ?? [])
        {
            ApplyAttachment(next, change);
        }

        if (advances)
        {
            Advance(next, request.Status!, now, request.ExecutionStoppedAt);
        }

        if (request.HealthStatus is not null)
        {
            next.HealthStatus = request.HealthStatus;
        }

        return Save(state, task, next);
    }

    // An awsvpc task's network interface as the agent set it up: its status and its address, also shown on
    // each container's networkInterfaces as ECS does.
    private static void ApplyAttachment(EcsTask task, AttachmentStateChange change)
    {
        var attachment = task.Attachments?.FirstOrDefault(a => a.Id is not null && (change.AttachmentArn == a.Id || change.AttachmentArn?.EndsWith("/" + a.Id, StringComparison.Ordinal) == true));
        if (attachment is null || change.Status is null)
        {
            return;
        }

        attachment.Status = change.Status;
        foreach (var detail in change.Details ?? [])
        {
            attachment.Details ??= [];
            attachment.Details.RemoveAll(d => d.Name == detail.Name);
            attachment.Details.Add(new Model.KeyValuePair { Name = detail.Name, Value = detail.Value });
        }

        var address = attachment.Details?.FirstOrDefault(d => d.Name == "privateIPv4Address")?.Value;
        if (address is not null)
        {
            foreach (var container in task.Containers ?? [])
            {
                container.NetworkInterfaces = [new NetworkInterface { AttachmentId = attachment.Id, PrivateIpv4Address = address }];
            }
        }
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
        var next = StateCodec.Clone(task, StoredJsonContext.Default.EcsTask);
        Apply(next, TaskResources.DefinitionOf(state, task), request.ContainerName, request.Status, request.ExitCode, request.Reason, request.RuntimeId, request.NetworkBindings, request.HealthStatus, null, now);
        return Save(state, task, next);
    }

    private static EcsTask Resolve(EcsState state, Scope scope, string? clusterRef, string? taskRef)
    {
        var cluster = ClusterRules.RequireActive(state, scope, clusterRef);
        return TaskQueries.Find(state, scope, cluster, taskRef) ?? throw AwsException.InvalidParameter("The referenced task was not found.");
    }

    private static void Apply(EcsTask task, TaskDefinition? definition, string? name, string? status, int? exitCode, string? reason, string? runtimeId, List<NetworkBinding>? bindings, string? health, string? imageDigest, DateTimeOffset now)
    {
        CheckHealth(health);
        var container = task.Containers?.FirstOrDefault(c => c.Name == name)
            ?? throw AwsException.InvalidParameter($"The referenced container {name} was not found in task {task.TaskArn}.");
        container.ExitCode = exitCode ?? container.ExitCode;
        container.Reason = NonEmpty(reason) ?? container.Reason;
        container.RuntimeId = NonEmpty(runtimeId) ?? container.RuntimeId;
        container.ImageDigest = NonEmpty(imageDigest) ?? container.ImageDigest;
        container.NetworkBindings = bindings ?? container.NetworkBindings;
        container.HealthStatus = health ?? container.HealthStatus;
        if (Array.IndexOf(ContainerOrder, status) <= Array.IndexOf(ContainerOrder, container.LastStatus))
        {
            return;
        }

        container.LastStatus = status;
        var essential = definition?.ContainerDefinitions?.FirstOrDefault(d => d.Name == name)?.Essential != false;
        if (status == "STOPPED" && essential && task.DesiredStatus == "RUNNING")
        {
            // A container that never started (image pull, create) failed the task's start; one that ran exited.
            var failedToStart = task.StartedAt is null && container.Reason is not null;
            task.DesiredStatus = "STOPPED";
            task.StopCode ??= failedToStart ? "TaskFailedToStart" : "EssentialContainerExited";
            task.StoppedReason ??= failedToStart ? container.Reason : TaskLifecycle.EssentialContainerExited;
            task.StoppingAt ??= now;
        }
    }

    private static void Advance(EcsTask task, string status, DateTimeOffset now, DateTimeOffset? executionStoppedAt)
    {
        task.LastStatus = status;
        if (status == "RUNNING")
        {
            task.StartedAt ??= now;
            task.ConnectivityAt ??= now;
            task.Connectivity = "CONNECTED";
        }

        if (TaskLifecycle.IsStopping(status))
        {
            task.StoppingAt ??= now;
        }

        if (status == "STOPPED")
        {
            // A task that ran and stopped without being asked to stopped because its essential container did.
            task.StopCode ??= "EssentialContainerExited";
            task.StoppedReason ??= TaskLifecycle.EssentialContainerExited;
            TaskLifecycle.MarkStopped(task, now, executionStoppedAt ?? now);
        }
    }

    private static Decision<EcsState, string> Save(EcsState state, EcsTask before, EcsTask after)
    {
        var edit = new StateEdit(state);
        var info = StoredJsonContext.Default.EcsTask;
        if (StateCodec.Encode(before, info).AsSpan().SequenceEqual(StateCodec.Encode(after, info)))
        {
            return edit.Done(Acknowledgment);
        }

        after.Version = (before.Version ?? 0) + 1;
        edit.Put(after);
        return edit.Done(Acknowledgment);
    }

    private static void CheckHealth(string? health)
    {
        if (health is not null && Array.IndexOf(WireEnums.HealthStatus, health) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for healthStatus: {health}. Valid values are {string.Join(", ", WireEnums.HealthStatus)}.");
        }
    }

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
