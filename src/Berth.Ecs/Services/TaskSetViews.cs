using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.Services;

/// <summary>ECS's <c>TaskSet</c> shape of a task set record.</summary>
public static class TaskSetViews
{
    /// <summary>The wire shape; tags only when asked. <c>startedBy</c> is not used for an external deployment's task sets.</summary>
    public static TaskSet ToWire(ServiceRecord service, TaskSetRecord taskSet, bool withTags) => new()
    {
        Id = taskSet.Id,
        TaskSetArn = taskSet.TaskSetArn,
        ServiceArn = service.ServiceArn,
        ClusterArn = service.ClusterArn,
        ExternalId = taskSet.ExternalId,
        Status = WireText.Of(taskSet.Status),
        TaskDefinition = taskSet.TaskDefinition,
        ComputedDesiredCount = taskSet.ComputedDesiredCount,
        PendingCount = taskSet.PendingCount,
        RunningCount = taskSet.RunningCount,
        CreatedAt = taskSet.CreatedAt,
        UpdatedAt = taskSet.UpdatedAt,
        LaunchType = WireText.Of(taskSet.LaunchType),
        CapacityProviderStrategy = taskSet.CapacityProviderStrategy?.Thaw(WireJsonContext.Default.ListCapacityProviderStrategyItem),
        PlatformVersion = taskSet.PlatformVersion,
        PlatformFamily = taskSet.PlatformFamily,
        NetworkConfiguration = taskSet.NetworkConfiguration?.Thaw(WireJsonContext.Default.NetworkConfiguration),
        LoadBalancers = ServiceLoadBalancer.ToWire(taskSet.LoadBalancers),
        ServiceRegistries = taskSet.ServiceRegistries?.Thaw(WireJsonContext.Default.ListServiceRegistry) ?? [],
        Scale = new Scale { Value = taskSet.ScaleValue, Unit = "PERCENT" },
        StabilityStatus = WireText.Of(taskSet.StabilityStatus),
        StabilityStatusAt = taskSet.StabilityStatusAt,
        Tags = withTags ? ResourceTag.ToWire(taskSet.Tags) : null,
    };
}
