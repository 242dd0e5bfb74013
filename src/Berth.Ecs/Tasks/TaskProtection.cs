using System.Globalization;
using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.Tasks;

/// <summary>
/// Task scale-in protection (UpdateTaskProtection / GetTaskProtection): a protected task of a service is not
/// chosen when the service scales in, until its protection expires (expiresInMinutes, default 120, at most 2880).
/// </summary>
public static class TaskProtection
{
    /// <summary>The protection a request without expiresInMinutes gets.</summary>
    public const int DefaultMinutes = 120;

    /// <summary>The longest protection (48 hours).</summary>
    public const int MaxMinutes = 2880;

    /// <summary>Tasks per request.</summary>
    public const int MaxTasks = 10;

    /// <summary>Whether <paramref name="task"/> is protected at <paramref name="now"/>.</summary>
    public static bool IsProtected(TaskRecord task, DateTimeOffset now) => task.ProtectedUntil is { } until && until > now;

    /// <summary>UpdateTaskProtection: sets or clears each task's protection; tasks it cannot protect are failures.</summary>
    public static Decision<EcsState, UpdateTaskProtectionResponse> Update(EcsState state, Scope scope, DateTimeOffset now, UpdateTaskProtectionRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var references = Check(request.Tasks);
        var enabled = request.ProtectionEnabled ?? throw AwsException.InvalidParameter("protectionEnabled can not be null.");
        if (request.ExpiresInMinutes is { } minutes && (minutes < 1 || minutes > MaxMinutes))
        {
            throw AwsException.InvalidParameter($"expiresInMinutes should be between 1 and {MaxMinutes.ToString(CultureInfo.InvariantCulture)} minutes.");
        }

        if (!enabled && request.ExpiresInMinutes is not null)
        {
            throw AwsException.InvalidParameter("expiresInMinutes can only be set when protectionEnabled is true.");
        }

        var edit = new StateEdit(state);
        var response = new UpdateTaskProtectionResponse { ProtectedTasks = [], Failures = [] };
        var until = enabled ? now.AddMinutes(request.ExpiresInMinutes ?? DefaultMinutes) : (DateTimeOffset?)null;
        foreach (var reference in references)
        {
            if (Failure(edit.State, scope, cluster, reference, out var task) is { } failure)
            {
                response.Failures.Add(failure);
                continue;
            }

            var next = task! with { ProtectedUntil = until };
            edit.Put(next);
            response.ProtectedTasks.Add(View(next, now));
        }

        return edit.Done(response);
    }

    /// <summary>GetTaskProtection: each task's protection now.</summary>
    public static GetTaskProtectionResponse Get(EcsState state, Scope scope, DateTimeOffset now, GetTaskProtectionRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var references = request.Tasks is null
            ? [.. state.TasksIn(cluster.ClusterArn).Where(t => t.Group?.StartsWith("service:", StringComparison.Ordinal) == true && t.DesiredStatus == EcsTaskStatus.Running).Select(t => t.TaskArn)]
            : Check(request.Tasks);
        var response = new GetTaskProtectionResponse { ProtectedTasks = [], Failures = [] };
        foreach (var reference in references)
        {
            if (Failure(state, scope, cluster, reference, out var task) is { } failure)
            {
                response.Failures.Add(failure);
            }
            else
            {
                response.ProtectedTasks.Add(View(task!, now));
            }
        }

        return response;
    }

    private static List<string> Check(List<string>? tasks)
    {
        if (tasks is not { Count: > 0 })
        {
            throw AwsException.InvalidParameter("Tasks cannot be empty.");
        }

        if (tasks.Count > MaxTasks)
        {
            throw AwsException.InvalidParameter($"The number of tasks in the request exceeds the limit of {MaxTasks}.");
        }

        return tasks;
    }

    // ECS protects only tasks a service runs and that still run.
    private static Failure? Failure(EcsState state, Scope scope, ClusterRecord cluster, string reference, out TaskRecord? task)
    {
        task = TaskQueries.Find(state, scope, cluster, reference);
        var arn = TaskQueries.ArnOf(scope, cluster, reference);
        if (task is null)
        {
            return new Failure { Arn = arn, Reason = "MISSING" };
        }

        if (task.Group?.StartsWith("service:", StringComparison.Ordinal) != true)
        {
            return new Failure { Arn = arn, Reason = "TASK_NOT_VALID", Detail = "The task is not part of a service." };
        }

        if (task.DesiredStatus == EcsTaskStatus.Stopped)
        {
            return new Failure { Arn = arn, Reason = "TASK_NOT_VALID", Detail = "The task is stopped or stopping." };
        }

        return null;
    }

    private static ProtectedTask View(TaskRecord task, DateTimeOffset now) => IsProtected(task, now)
        ? new ProtectedTask { TaskArn = task.TaskArn, ProtectionEnabled = true, ExpirationDate = task.ProtectedUntil }
        : new ProtectedTask { TaskArn = task.TaskArn, ProtectionEnabled = false };
}
