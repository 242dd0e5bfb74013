using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.Services;

/// <summary>The edge between a service record and ECS's wire shapes, both ways.</summary>
public static class ServiceViews
{
    /// <summary>
    /// ECS's <c>Service</c> shape: tags only when asked. An EXTERNAL service shows its task sets, and its primary task
    /// set's task definition, launch configuration, network and load balancers as its own (none before one is chosen).
    /// </summary>
    public static Service ToWire(ServiceRecord service, bool withTags = true)
    {
        var wire = Common(service, withTags);
        if (!service.External)
        {
            return wire;
        }

        wire.TaskSets = [.. service.TaskSets.Select(t => TaskSetViews.ToWire(service, t, withTags))];
        wire.Deployments = [];
        if (service.PrimaryTaskSet is { } primary)
        {
            var shown = TaskSetViews.ToWire(service, primary, withTags: false);
            wire.TaskDefinition = shown.TaskDefinition;
            wire.LaunchType = shown.LaunchType;
            wire.CapacityProviderStrategy = shown.CapacityProviderStrategy;
            wire.PlatformVersion = shown.PlatformVersion;
            wire.PlatformFamily = shown.PlatformFamily;
            wire.NetworkConfiguration = shown.NetworkConfiguration;
            wire.LoadBalancers = shown.LoadBalancers;
            wire.ServiceRegistries = shown.ServiceRegistries;
        }
        else
        {
            wire.TaskDefinition = null;
        }

        return wire;
    }

    private static Service Common(ServiceRecord service, bool withTags) => new()
    {
        ServiceArn = service.ServiceArn,
        ServiceName = service.ServiceName,
        ClusterArn = service.ClusterArn,
        LoadBalancers = ServiceLoadBalancer.ToWire(service.LoadBalancers),
        ServiceRegistries = service.ServiceRegistries?.Thaw(WireJsonContext.Default.ListServiceRegistry) ?? [],
        Status = WireText.Of(service.Status),
        DesiredCount = service.DesiredCount,
        RunningCount = service.RunningCount,
        PendingCount = service.PendingCount,
        LaunchType = WireText.Of(service.LaunchType),
        CapacityProviderStrategy = service.CapacityProviderStrategy?.Thaw(WireJsonContext.Default.ListCapacityProviderStrategyItem),
        PlatformVersion = service.PlatformVersion,
        PlatformFamily = service.PlatformFamily,
        TaskDefinition = service.TaskDefinition,
        DeploymentConfiguration = ToWire(service.DeploymentConfiguration),
        Deployments = [.. service.Deployments.Select(ToWire)],
        RoleArn = service.RoleArn,
        Events = [.. service.Events.Select(e => new ServiceEvent { Id = e.Id, CreatedAt = e.CreatedAt, Message = e.Message })],
        CreatedAt = service.CreatedAt,
        CurrentServiceDeployment = service.CurrentServiceDeployment,
        CurrentServiceRevisions = [.. service.CurrentServiceRevisions.Select(r => new ServiceCurrentRevisionSummary { Arn = r.Arn, RequestedTaskCount = r.Requested, RunningTaskCount = r.Running, PendingTaskCount = r.Pending })],
        PlacementConstraints = [.. service.PlacementConstraints.Select(c => new PlacementConstraint { Type = c.Type, Expression = c.Value })],
        PlacementStrategy = [.. service.PlacementStrategy.Select(s => new PlacementStrategy { Type = s.Type, Field = s.Value })],
        NetworkConfiguration = service.NetworkConfiguration?.Thaw(WireJsonContext.Default.NetworkConfiguration),
        HealthCheckGracePeriodSeconds = service.HealthCheckGracePeriodSeconds,
        SchedulingStrategy = WireText.Of(service.SchedulingStrategy),
        DeploymentController = new DeploymentController { Type = WireText.Of(service.DeploymentController) },
        Tags = withTags ? ResourceTag.ToWire(service.Tags) : null,
        CreatedBy = service.CreatedBy,
        EnableECSManagedTags = service.EnableEcsManagedTags,
        PropagateTags = service.PropagateTags,
        EnableExecuteCommand = service.EnableExecuteCommand,
        AvailabilityZoneRebalancing = service.AvailabilityZoneRebalancing,
    };

    /// <summary>ECS's <c>Deployment</c> shape.</summary>
    public static Deployment ToWire(DeploymentRecord d) => new()
    {
        Id = d.Id,
        Status = WireText.Of(d.Status),
        TaskDefinition = d.TaskDefinition,
        DesiredCount = d.DesiredCount,
        PendingCount = d.PendingCount,
        RunningCount = d.RunningCount,
        FailedTasks = d.FailedTasks,
        CreatedAt = d.CreatedAt,
        UpdatedAt = d.UpdatedAt,
        LaunchType = WireText.Of(d.LaunchType),
        CapacityProviderStrategy = d.CapacityProviderStrategy?.Thaw(WireJsonContext.Default.ListCapacityProviderStrategyItem),
        PlatformVersion = d.PlatformVersion,
        PlatformFamily = d.PlatformFamily,
        NetworkConfiguration = d.NetworkConfiguration?.Thaw(WireJsonContext.Default.NetworkConfiguration),
        RolloutState = WireText.Of(d.RolloutState),
        RolloutStateReason = d.RolloutStateReason,
    };

    /// <summary>ECS's <c>ServiceDeployment</c> shape of one of <paramref name="service"/>'s.</summary>
    public static ServiceDeployment ToWire(ServiceRecord service, ServiceDeploymentRecord d) => new()
    {
        ServiceDeploymentArn = d.ServiceDeploymentArn,
        ServiceArn = service.ServiceArn,
        ClusterArn = service.ClusterArn,
        CreatedAt = d.CreatedAt,
        StartedAt = d.StartedAt,
        FinishedAt = d.FinishedAt,
        StoppedAt = d.StoppedAt,
        UpdatedAt = d.UpdatedAt,
        SourceServiceRevisions = [.. d.SourceServiceRevisions.Select(Summary)],
        TargetServiceRevision = Summary(d.TargetServiceRevision),
        Status = WireText.Of(d.Status),
        StatusReason = d.StatusReason,
        DeploymentConfiguration = ToWire(d.DeploymentConfiguration),
        Rollback = d.Rollback is { } r ? new Rollback { Reason = r.Reason, StartedAt = r.StartedAt, ServiceRevisionArn = r.ServiceRevisionArn } : null,
        DeploymentCircuitBreaker = new ServiceDeploymentCircuitBreaker { Status = d.CircuitBreakerStatus, FailureCount = d.CircuitBreakerFailureCount, Threshold = d.CircuitBreakerThreshold },
    };

    /// <summary>ListServiceDeployments' brief shape.</summary>
    public static ServiceDeploymentBrief Brief(ServiceRecord service, ServiceDeploymentRecord d) => new()
    {
        ServiceDeploymentArn = d.ServiceDeploymentArn,
        ServiceArn = service.ServiceArn,
        ClusterArn = service.ClusterArn,
        StartedAt = d.StartedAt,
        CreatedAt = d.CreatedAt,
        FinishedAt = d.FinishedAt,
        TargetServiceRevisionArn = d.TargetServiceRevision.Arn,
        Status = WireText.Of(d.Status),
        StatusReason = d.StatusReason,
    };

    /// <summary>ECS's <c>DeploymentConfiguration</c> shape.</summary>
    public static DeploymentConfiguration ToWire(DeploymentSettings settings)
    {
        var wire = settings.Rest?.Thaw(WireJsonContext.Default.DeploymentConfiguration) ?? new DeploymentConfiguration();
        wire.MaximumPercent = settings.MaximumPercent;
        wire.MinimumHealthyPercent = settings.MinimumHealthyPercent;
        wire.DeploymentCircuitBreaker = new DeploymentCircuitBreaker { Enable = settings.CircuitBreakerEnabled, Rollback = settings.CircuitBreakerRollback };
        return wire;
    }

    /// <summary>
    /// A deployment configuration as the record keeps it: the numbers and the circuit breaker typed, the rest (alarms,
    /// strategy, bake time, lifecycle hooks) frozen as given.
    /// </summary>
    public static DeploymentSettings FromWire(DeploymentConfiguration wire)
    {
        var rest = new DeploymentConfiguration { Alarms = wire.Alarms, Strategy = wire.Strategy, BakeTimeInMinutes = wire.BakeTimeInMinutes, LifecycleHooks = wire.LifecycleHooks };
        var empty = rest.Alarms is null && rest.Strategy is null && rest.BakeTimeInMinutes is null && rest.LifecycleHooks is null;
        return new DeploymentSettings
        {
            MaximumPercent = wire.MaximumPercent ?? 200,
            MinimumHealthyPercent = wire.MinimumHealthyPercent ?? 100,
            CircuitBreakerEnabled = wire.DeploymentCircuitBreaker?.Enable ?? false,
            CircuitBreakerRollback = wire.DeploymentCircuitBreaker?.Rollback ?? false,
            Rest = empty ? null : FrozenJson.Of(rest, WireJsonContext.Default.DeploymentConfiguration),
        };
    }

    /// <summary>A wire value frozen, or null.</summary>
    public static FrozenJson? Freeze<T>(T? value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        where T : class => value is null ? null : FrozenJson.Of(value, info);

    private static ServiceRevisionSummary Summary(RevisionCount r) => new() { Arn = r.Arn, RequestedTaskCount = r.Requested, RunningTaskCount = r.Running, PendingTaskCount = r.Pending };
}
