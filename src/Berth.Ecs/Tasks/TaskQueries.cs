using Berth.Ecs.Arns;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Paging;
using Berth.Ecs.State;
using Berth.Protocol.Errors;

namespace Berth.Ecs.Tasks;

/// <summary>The read-only task operations over one state snapshot.</summary>
public static class TaskQueries
{
    /// <summary>The ARN a task reference (task ID or ARN) stands for in a cluster.</summary>
    public static string ArnOf(Scope scope, ClusterRecord cluster, string? reference)
    {
        if (string.IsNullOrEmpty(reference))
        {
            throw AwsException.InvalidParameter("The referenced task was not found.");
        }

        return reference.StartsWith("arn:", StringComparison.Ordinal) ? reference : $"{scope.EcsPrefix}task/{cluster.ClusterName}/{reference}";
    }

    /// <summary>The task of <paramref name="cluster"/> a reference names, or null.</summary>
    public static TaskRecord? Find(EcsState state, Scope scope, ClusterRecord cluster, string? reference) =>
        state.Tasks.TryGetValue(ArnOf(scope, cluster, reference), out var task) && task.ClusterArn == cluster.ClusterArn ? task : null;

    /// <summary>DescribeTasks: up to 100 by ID or ARN; tags only with <c>include: ["TAGS"]</c>; MISSING failures.</summary>
    public static DescribeTasksResponse Describe(EcsState state, Scope scope, DescribeTasksRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var references = request.Tasks ?? [];
        if (references.Count == 0)
        {
            throw AwsException.InvalidParameter("Tasks cannot be empty.");
        }

        if (references.Count > 100)
        {
            throw AwsException.InvalidParameter("taskIds can have at most 100 items.");
        }

        foreach (var include in request.Include ?? [])
        {
            if (Array.IndexOf(WireEnums.TaskField, include) < 0)
            {
                throw AwsException.InvalidParameter($"Invalid value for include: {include}.");
            }
        }

        var withTags = request.Include?.Contains("TAGS") == true;
        var response = new DescribeTasksResponse { Tasks = [], Failures = [] };
        foreach (var reference in references)
        {
            var task = Find(state, scope, cluster, reference);
            if (task is null)
            {
                response.Failures.Add(new Failure { Arn = ArnOf(scope, cluster, reference), Reason = "MISSING" });
            }
            else
            {
                response.Tasks.Add(TaskViews.ToWire(task, withTags));
            }
        }

        return response;
    }

    /// <summary>
    /// ListTasks: by desiredStatus (RUNNING unless asked; ECS never sets PENDING, so PENDING lists nothing),
    /// container instance, family, startedBy, service and launch type. ECS refuses startedBy and serviceName
    /// together with other filters.
    /// </summary>
    public static ListTasksResponse List(EcsState state, Scope scope, ListTasksRequest request)
    {
        var cluster = ClusterRules.RequireActive(state, scope, request.Cluster);
        var desired = request.DesiredStatus ?? "RUNNING";
        if (Array.IndexOf(WireEnums.DesiredStatus, desired) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for desiredStatus: {desired}. Valid values are {string.Join(", ", WireEnums.DesiredStatus)}.");
        }

        if (request.LaunchType is { } launchType && Array.IndexOf(WireEnums.LaunchType, launchType) < 0)
        {
            throw AwsException.InvalidParameter($"Invalid value for launchType: {launchType}. Valid values are {string.Join(", ", WireEnums.LaunchType)}.");
        }

        // Reported by AWS SDK users (aws-sdk-go-v2#1893, boto3#874): these filters stand alone.
        if (request.StartedBy is not null && (request.Family ?? request.ContainerInstance ?? request.ServiceName ?? request.LaunchType) is not null)
        {
            throw AwsException.InvalidParameter("cannot specify startedBy with other arguments");
        }

        if (request.ServiceName is not null && (request.Family ?? request.ContainerInstance) is not null)
        {
            throw AwsException.InvalidParameter("cannot specify serviceName with other arguments");
        }

        var size = Page.Size(request.MaxResults, 100);
        string? instanceArn = request.ContainerInstance is null ? null : ContainerInstanceRules.ArnOf(scope, cluster, request.ContainerInstance);
        string? group = null;
        if (request.ServiceName is { } service)
        {
            var found = Services.ServiceDecisions.Find(state, scope, cluster, service) is { Status: not Services.ServiceStatus.Inactive } stored
                ? stored
                : throw new AwsException("ServiceNotFoundException", "Service not found.");
            group = Services.ServiceModel.Group(found);
        }

        var ordered = (group is null ? state.TasksIn(cluster.ClusterArn!) : state.TasksOfGroup(cluster.ClusterArn!, group))
            .Where(t => WireText.Of(t.DesiredStatus) == desired)
            .Where(t => instanceArn is null || t.ContainerInstanceArn == instanceArn)
            .Where(t => request.Family is null || FamilyOf(t) == request.Family)
            .Where(t => request.StartedBy is null || t.StartedBy == request.StartedBy)
            .Where(t => group is null || t.Group == group)
            .Where(t => request.LaunchType is null || WireText.Of(t.LaunchType) == request.LaunchType)
            // Daemons do not exist in Berth yet: a daemon filter matches nothing.
            .Where(_ => request.DaemonName is null)
            .Select(t => (t.TaskArn, t.TaskArn));
        var (arns, next) = Page.Take(ordered, size, request.NextToken, "ListTasks");
        return new ListTasksResponse { TaskArns = arns, NextToken = next };
    }

    private static string FamilyOf(TaskRecord task)
    {
        // task-definition/FAMILY:REVISION
        var arn = task.TaskDefinitionArn;
        var start = arn.LastIndexOf('/') + 1;
        var colon = arn.LastIndexOf(':');
        return colon > start ? arn[start..colon] : arn[start..];
    }
}
