using System.Globalization;
using Berth.Ecs.Arns;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Ecs.Tasks;
using Berth.Protocol.Errors;
using Berth.Storage.Commit;

namespace Berth.Ecs.Services;

/// <summary>
/// The task set operations of an EXTERNAL service (CreateTaskSet, UpdateTaskSet, DeleteTaskSet,
/// UpdateServicePrimaryTaskSet, DescribeTaskSets) as pure functions of (state, request, now, ids). The service
/// controller then keeps each task set's <see cref="TaskSetRecord.ComputedDesiredCount"/> tasks running.
/// </summary>
public static class TaskSetDecisions
{
    /// <summary>ECS's words for a task set operation on a service another controller drives.</summary>
    public const string NotExternal = "Amazon ECS only supports task set management on services configured to use external deployment controllers.";

    /// <summary>How many task sets (ECS counts them as deployments) a service may have.</summary>
    public const int MaxTaskSets = 5;

    /// <summary>
    /// The computed desired count: <paramref name="scalePercent"/> of <paramref name="desiredCount"/>, always rounded
    /// up as ECS does (1.2 tasks are 2). The product is rounded to 9 places first so that binary fractions do not
    /// turn an exact count into one more (10 % of 30 is 3, not 4).
    /// </summary>
    public static int ComputedDesiredCount(int desiredCount, double scalePercent)
        => (int)Math.Ceiling(Math.Round(Math.Max(0, desiredCount) * scalePercent / 100.0, 9));

    /// <summary>CreateTaskSet: checks the request as ECS does and adds an ACTIVE task set to the service.</summary>
    public static Decision<EcsState, TaskSet> Create(EcsState state, Scope scope, IdSource ids, DateTimeOffset now, CreateTaskSetRequest request, ITargetGroupCatalog? targetGroups = null)
    {
        var (cluster, service) = RequireExternal(state, scope, request.Cluster, request.Service);
        if (request.ClientToken is { } token && service.TaskSets.FirstOrDefault(t => t.ClientToken == token) is { } again)
        {
            return new StateEdit(state).Done(TaskSetViews.ToWire(service, again, withTags: true));
        }

        if (string.IsNullOrEmpty(request.TaskDefinition))
        {
            throw AwsException.InvalidParameter("TaskDefinition can not be blank.");
        }

        if (service.TaskSets.Length >= MaxTaskSets)
        {
            throw AwsException.InvalidParameter($"{service.TaskSets.Length.ToString(CultureInfo.InvariantCulture)} deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.");
        }

        var scale = Scale(request.Scale, 0);
        var (launchType, strategy) = StrategyRules.Resolve(state, scope, cluster, request.LaunchType, request.CapacityProviderStrategy);
        var launch = TaskBuilder.Check(state, scope, cluster, new TaskBuilder.Parameters(
            request.TaskDefinition, null, null, 128, null, null, null, null, null, request.NetworkConfiguration, launchType));
        LoadBalancerRules.Validate(request.LoadBalancers ?? [], launch.Definition, targetGroups ?? NoTargetGroups.Instance);
        TaskDecisions.PlatformVersion(request.PlatformVersion, launchType);
        TagRules.Validate(request.Tags);

        var id = ServiceModel.NewDeploymentId(ids);
        var taskSet = new TaskSetRecord
        {
            Id = id,
            TaskSetArn = $"{scope.EcsPrefix}task-set/{cluster.ClusterName}/{service.ServiceName}/{id}",
            Status = TaskSetStatus.Active,
            ExternalId = request.ExternalId,
            TaskDefinition = launch.Definition.TaskDefinitionArn!,
            ScaleValue = scale,
            ComputedDesiredCount = ComputedDesiredCount(service.DesiredCount, scale),
            CreatedAt = now,
            UpdatedAt = now,
            LaunchType = strategy is null ? WireText.Parse<LaunchType>(launchType) : null,
            CapacityProviderStrategy = strategy is null ? null : ServiceViews.Freeze(strategy, WireJsonContext.Default.ListCapacityProviderStrategyItem),
            PlatformVersion = launchType == "FARGATE" ? request.PlatformVersion ?? "LATEST" : null,
            PlatformFamily = launchType == "FARGATE" ? "Linux" : null,
            NetworkConfiguration = ServiceViews.Freeze(request.NetworkConfiguration, WireJsonContext.Default.NetworkConfiguration),
            LoadBalancers = ServiceLoadBalancer.FromWire(request.LoadBalancers),
            ServiceRegistries = FrozenJson.Of(request.ServiceRegistries ?? [], WireJsonContext.Default.ListServiceRegistry),
            StabilityStatus = StabilityStatus.Stabilizing,
            StabilityStatusAt = now,
            Tags = ResourceTag.FromWire(request.Tags),
            ClientToken = request.ClientToken,
        };
        service = service with
        {
            TaskSets = service.TaskSets.Add(taskSet),
            Controller = service.Controller with { SteadyReported = false, RetryPlacementAt = null, PlacementFailures = 0 },
        };
        return Put(state, service, TaskSetViews.ToWire(service, taskSet, withTags: true));
    }

    /// <summary>UpdateTaskSet: a new scale, and with it a new computed desired count.</summary>
    public static Decision<EcsState, TaskSet> Update(EcsState state, Scope scope, DateTimeOffset now, UpdateTaskSetRequest request)
    {
        var (_, service) = RequireExternal(state, scope, request.Cluster, request.Service);
        var taskSet = RequireTaskSet(service, request.TaskSet);
        if (request.Scale is null)
        {
            throw AwsException.InvalidParameter("Scale can not be blank.");
        }

        if (taskSet.Status == TaskSetStatus.Draining)
        {
            throw AwsException.InvalidParameter("The task set is DRAINING and cannot be updated.");
        }

        var scale = Scale(request.Scale, taskSet.ScaleValue);
        var changed = taskSet with { ScaleValue = scale, ComputedDesiredCount = ComputedDesiredCount(service.DesiredCount, scale), UpdatedAt = now };
        service = Replace(service, taskSet, changed);
        return Put(state, service, TaskSetViews.ToWire(service, changed, withTags: true));
    }

    /// <summary>
    /// DeleteTaskSet: the task set turns DRAINING with nothing desired; the controller stops its tasks (deregistering
    /// their targets first) and then removes it. One still scaled above zero needs <c>force</c>.
    /// </summary>
    public static Decision<EcsState, TaskSet> Delete(EcsState state, Scope scope, DateTimeOffset now, DeleteTaskSetRequest request)
    {
        var (_, service) = RequireExternal(state, scope, request.Cluster, request.Service);
        var taskSet = RequireTaskSet(service, request.TaskSet);
        if (taskSet.Status == TaskSetStatus.Draining)
        {
            return new StateEdit(state).Done(TaskSetViews.ToWire(service, taskSet, withTags: true));
        }

        if (taskSet.ComputedDesiredCount > 0 && request.Force != true)
        {
            throw AwsException.InvalidParameter("The task set cannot be deleted while it is scaled above 0. Scale it to 0 first or set force.");
        }

        var draining = taskSet with { Status = TaskSetStatus.Draining, ComputedDesiredCount = 0, UpdatedAt = now };
        service = Replace(service, taskSet, draining);
        service = service with { Controller = service.Controller with { SteadyReported = false } };
        return Put(state, service, TaskSetViews.ToWire(service, draining, withTags: true));
    }

    /// <summary>
    /// UpdateServicePrimaryTaskSet: the task set becomes PRIMARY and the one before it ACTIVE; DescribeServices shows
    /// the primary task set's task definition, launch configuration, network and load balancers as the service's.
    /// </summary>
    public static Decision<EcsState, TaskSet> UpdatePrimary(EcsState state, Scope scope, DateTimeOffset now, UpdateServicePrimaryTaskSetRequest request)
    {
        var (_, service) = RequireExternal(state, scope, request.Cluster, request.Service);
        var taskSet = RequireTaskSet(service, request.PrimaryTaskSet);
        if (taskSet.Status == TaskSetStatus.Draining)
        {
            throw AwsException.InvalidParameter("A DRAINING task set cannot be made the primary task set.");
        }

        if (taskSet.Status == TaskSetStatus.Primary)
        {
            return new StateEdit(state).Done(TaskSetViews.ToWire(service, taskSet, withTags: true));
        }

        var primary = taskSet with { Status = TaskSetStatus.Primary, UpdatedAt = now };
        service = service with
        {
            TaskSets = [.. service.TaskSets.Select(t => t.Id == taskSet.Id ? primary : t.Status == TaskSetStatus.Primary ? t with { Status = TaskSetStatus.Active, UpdatedAt = now } : t)],
        };
        return Put(state, service, TaskSetViews.ToWire(service, primary, withTags: true));
    }

    /// <summary>DescribeTaskSets: the service's task sets (all, or those named by ID or ARN); a name it has not is a MISSING failure.</summary>
    public static DescribeTaskSetsResponse Describe(EcsState state, Scope scope, DescribeTaskSetsRequest request)
    {
        var (_, service) = RequireExternal(state, scope, request.Cluster, request.Service, activeOnly: false);
        var withTags = request.Include?.Contains("TAGS") == true;
        if (request.Include is { } include && include.FirstOrDefault(i => Array.IndexOf(WireEnums.TaskSetField, i) < 0) is { } unknown)
        {
            throw AwsException.InvalidParameter($"Invalid value for include: {unknown}. Valid values are {string.Join(", ", WireEnums.TaskSetField)}.");
        }

        var response = new DescribeTaskSetsResponse { TaskSets = [], Failures = [] };
        if (request.TaskSets is not { Count: > 0 } references)
        {
            response.TaskSets.AddRange(service.TaskSets.Select(t => TaskSetViews.ToWire(service, t, withTags)));
            return response;
        }

        foreach (var reference in references)
        {
            if (Find(service, reference) is { } found)
            {
                response.TaskSets.Add(TaskSetViews.ToWire(service, found, withTags));
            }
            else
            {
                response.Failures.Add(new Failure { Arn = reference, Reason = "MISSING" });
            }
        }

        return response;
    }

    /// <summary>The task set an ID or ARN names in <paramref name="service"/>, or null.</summary>
    public static TaskSetRecord? Find(ServiceRecord service, string? reference)
        => string.IsNullOrEmpty(reference) ? null : service.TaskSets.FirstOrDefault(t => t.Id == reference || t.TaskSetArn == reference);

    /// <summary>Every task set's computed desired count for a new service desired count (a DRAINING one keeps 0).</summary>
    public static ServiceRecord Recompute(ServiceRecord service, DateTimeOffset now)
    {
        var changed = false;
        var taskSets = service.TaskSets.Select(t =>
        {
            var count = t.Status == TaskSetStatus.Draining ? 0 : ComputedDesiredCount(service.DesiredCount, t.ScaleValue);
            if (count == t.ComputedDesiredCount)
            {
                return t;
            }

            changed = true;
            return t with { ComputedDesiredCount = count, UpdatedAt = now };
        }).ToList();
        return changed ? service with { TaskSets = [.. taskSets] } : service;
    }

    // The scale of a request: PERCENT only, 0 to 100; no scale keeps (or defaults to) the given value.
    private static double Scale(Model.Scale? scale, double current)
    {
        if (scale is null)
        {
            return current;
        }

        if (scale.Unit is { } unit && unit != "PERCENT")
        {
            throw AwsException.InvalidParameter($"Invalid value for scale.unit: {unit}. Valid values are PERCENT.");
        }

        var value = scale.Value ?? current;
        if (double.IsNaN(value) || value < 0 || value > 100)
        {
            throw AwsException.InvalidParameter("The scale value must be between 0 and 100.");
        }

        return value;
    }

    private static (ClusterRecord Cluster, ServiceRecord Service) RequireExternal(EcsState state, Scope scope, string? clusterRef, string? serviceRef, bool activeOnly = true)
    {
        var cluster = ClusterRules.RequireActive(state, scope, clusterRef);
        var service = ServiceDecisions.Find(state, scope, cluster, serviceRef) ?? throw new AwsException("ServiceNotFoundException", "Service not found.");
        if (activeOnly ? service.Status != ServiceStatus.Active : service.Status == ServiceStatus.Inactive)
        {
            throw new AwsException("ServiceNotActiveException", "Service was not ACTIVE.");
        }

        if (!service.External)
        {
            throw AwsException.InvalidParameter(NotExternal);
        }

        return (cluster, service);
    }

    private static TaskSetRecord RequireTaskSet(ServiceRecord service, string? reference)
        => Find(service, reference) ?? throw new AwsException("TaskSetNotFoundException", "The specified task set does not exist.");

    private static ServiceRecord Replace(ServiceRecord service, TaskSetRecord before, TaskSetRecord after)
        => service with { TaskSets = service.TaskSets.Replace(before, after) };

    private static Decision<EcsState, TaskSet> Put(EcsState state, ServiceRecord service, TaskSet result)
    {
        var edit = new StateEdit(state);
        edit.Put(service);
        return edit.Done(result);
    }
}
