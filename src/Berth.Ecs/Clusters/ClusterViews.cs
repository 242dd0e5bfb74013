using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;

namespace Berth.Ecs.Clusters;

/// <summary>How a stored cluster is shown: live counts always, other parts only when asked for with <c>include</c>.</summary>
public static class ClusterViews
{
    /// <summary>
    /// The cluster as DescribeClusters returns it; with <paramref name="full"/>, as the cluster operations that
    /// change it answer (settings, configuration and tags always, statistics empty), as ECS does.
    /// </summary>
    public static Cluster Render(EcsState state, ClusterRecord stored, List<string>? include, bool full = false)
    {
        var running = 0;
        var pending = 0;
        var runningFargate = 0;
        var pendingFargate = 0;
        foreach (var task in state.TasksIn(stored.ClusterArn))
        {
            // Tasks a FARGATE or FARGATE_SPOT strategy placed count as Fargate tasks, as in ECS.
            var fargate = Capacity.FargateCapacity.Runs(task);
            if (task.LastStatus == EcsTaskStatus.Running)
            {
                running++;
                runningFargate += fargate ? 1 : 0;
            }
            else if (task.LastStatus is EcsTaskStatus.Provisioning or EcsTaskStatus.Pending or EcsTaskStatus.Activating)
            {
                pending++;
                pendingFargate += fargate ? 1 : 0;
            }
        }

        var instances = 0;
        var prefix = $"/{stored.ClusterName}/";
        foreach (var instance in state.ContainerInstances.Values)
        {
            if (instance.Status is ContainerInstances.InstanceStatus.Active or ContainerInstances.InstanceStatus.Draining && instance.ContainerInstanceArn.Contains(prefix, StringComparison.Ordinal))
            {
                instances++;
            }
        }

        var activeServices = 0;
        var activeFargateServices = 0;
        var drainingServices = 0;
        var drainingFargateServices = 0;
        foreach (var service in state.Services.Values)
        {
            if (service.ClusterArn != stored.ClusterArn)
            {
                continue;
            }

            if (service.Status == Services.ServiceStatus.Active)
            {
                activeServices++;
                activeFargateServices += OnFargate(service) ? 1 : 0;
            }
            else if (service.Status == Services.ServiceStatus.Draining)
            {
                drainingServices++;
                drainingFargateServices += OnFargate(service) ? 1 : 0;
            }
        }

        bool Has(string what) => full || (include?.Contains(what) ?? false);
        return new Cluster
        {
            ClusterArn = stored.ClusterArn,
            ClusterName = stored.ClusterName,
            Status = WireText.Of(stored.Status),
            RegisteredContainerInstancesCount = instances,
            RunningTasksCount = running,
            PendingTasksCount = pending,
            ActiveServicesCount = activeServices,
            CapacityProviders = [.. stored.CapacityProviders],
            DefaultCapacityProviderStrategy = ClusterRecord.ToWire(stored.DefaultCapacityProviderStrategy),
            ServiceConnectDefaults = stored.ServiceConnectNamespace is { } ns ? new ClusterServiceConnectDefaults { Namespace = ns } : null,
            Settings = Has("SETTINGS") ? [.. stored.Settings.Select(s => new ClusterSetting { Name = s.Name, Value = s.Value })] : null,
            Configuration = Has("CONFIGURATIONS") ? stored.Configuration?.Thaw(WireJsonContext.Default.ClusterConfiguration) : null,
            Tags = Has("TAGS") ? ResourceTag.ToWire(stored.Tags) : null,
            Attachments = !full && Has("ATTACHMENTS") ? [] : null,
            Statistics = full ? [] : Has("STATISTICS")
                ?
                [
                    Stat("runningEC2TasksCount", running - runningFargate),
                    Stat("runningFargateTasksCount", runningFargate),
                    Stat("pendingEC2TasksCount", pending - pendingFargate),
                    Stat("pendingFargateTasksCount", pendingFargate),
                    Stat("activeEC2ServiceCount", activeServices - activeFargateServices),
                    Stat("activeFargateServiceCount", activeFargateServices),
                    Stat("drainingEC2ServiceCount", drainingServices - drainingFargateServices),
                    Stat("drainingFargateServiceCount", drainingFargateServices),
                ]
                : null,
        };
    }

    // A service without a launch type runs on a strategy, and Berth's strategies are of Fargate providers.
    private static bool OnFargate(Services.ServiceRecord service) => service.LaunchType is LaunchType.Fargate or null;

    private static Model.KeyValuePair Stat(string name, int value) => new() { Name = name, Value = value.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}
