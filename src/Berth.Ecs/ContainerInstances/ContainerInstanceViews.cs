using System.Globalization;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;

namespace Berth.Ecs.ContainerInstances;

/// <summary>How a stored container instance is shown: live resources and task counts, tags and health on request.</summary>
public static class ContainerInstanceViews
{
    /// <summary>
    /// The capacity provider of an instance an Auto Scaling group launched: the provider of its account whose group
    /// the instance registered with (<see cref="CapacityProviders.GroupCapacity.Attribute"/>), preferring one its
    /// cluster uses; null for an instance no group launched.
    /// </summary>
    public static string? ProviderOf(EcsState state, InstanceRecord instance)
    {
        if (instance.Attribute(CapacityProviders.GroupCapacity.Attribute) is not { } group || instance.ContainerInstanceArn.IndexOf(":container-instance/", StringComparison.Ordinal) is var at && at < 0)
        {
            return null;
        }

        var prefix = instance.ContainerInstanceArn[..(at + 1)];
        var clusterArn = prefix + "cluster/" + instance.ContainerInstanceArn[(at + ":container-instance/".Length)..].Split('/')[0];
        var used = state.Clusters.TryGetValue(clusterArn, out var cluster) ? cluster.CapacityProviders : [];
        return state.CapacityProviders.Values
            .Where(p => p.CapacityProviderArn.StartsWith(prefix, StringComparison.Ordinal) && CapacityProviders.GroupCapacity.GroupName(p.GroupArn) == group)
            .OrderBy(p => used.Contains(p.Name) ? 0 : 1).ThenBy(p => p.Name, StringComparer.Ordinal)
            .FirstOrDefault()?.Name;
    }

    /// <summary>
    /// The instance as DescribeContainerInstances returns it. <c>remainingResources</c> is what is registered
    /// less what its tasks hold (see <see cref="TaskRecord.Holds"/>); its port sets are the reserved ports
    /// plus those the tasks bind.
    /// </summary>
    public static ContainerInstance Render(EcsState state, InstanceRecord stored, List<string>? include, bool full = false)
    {
        var arn = stored.ContainerInstanceArn;
        var usedCpu = 0;
        var usedMemory = 0;
        var tcp = ContainerInstanceRules.Ports(stored.RegisteredResources, "PORTS");
        var udp = ContainerInstanceRules.Ports(stored.RegisteredResources, "PORTS_UDP");
        var running = 0;
        var pending = 0;
        foreach (var task in state.LiveTasksOn(arn))
        {
            if (task.LastStatus == EcsTaskStatus.Running)
            {
                running++;
            }
            else if (task.LastStatus is EcsTaskStatus.Provisioning or EcsTaskStatus.Pending or EcsTaskStatus.Activating)
            {
                pending++;
            }

            if (!task.Holds)
            {
                continue;
            }

            var (cpu, memory) = (task.Cpu, task.Memory);
            usedCpu += cpu;
            usedMemory += memory;
            var (taskTcp, taskUdp) = TaskResources.BoundPorts(state, task);
            tcp.UnionWith(taskTcp);
            udp.UnionWith(taskUdp);
        }

        var remaining = new List<Resource>();
        foreach (var resource in stored.RegisteredResources)
        {
            remaining.Add(resource.Name switch
            {
                "CPU" => Integer("CPU", (resource.IntegerValue ?? 0) - usedCpu),
                "MEMORY" => Integer("MEMORY", (resource.IntegerValue ?? 0) - usedMemory),
                "PORTS" => ContainerInstanceRules.PortSet("PORTS", tcp.Select(Text)),
                "PORTS_UDP" => ContainerInstanceRules.PortSet("PORTS_UDP", udp.Select(Text)),
                _ => resource.ToWire(),
            });
        }

        bool Has(string what) => full || (include?.Contains(what) ?? false);
        return new ContainerInstance
        {
            ContainerInstanceArn = arn,
            CapacityProviderName = ProviderOf(state, stored),
            Ec2InstanceId = stored.Ec2InstanceId,
            Version = stored.Version,
            VersionInfo = stored.VersionInfo is { } v ? new VersionInfo { AgentVersion = v.AgentVersion, AgentHash = v.AgentHash, DockerVersion = v.DockerVersion } : null,
            RemainingResources = remaining,
            RegisteredResources = [.. stored.RegisteredResources.Select(r => r.ToWire())],
            Status = WireText.Of(stored.Status),
            StatusReason = stored.StatusReason,
            AgentConnected = stored.AgentConnected,
            RunningTasksCount = running,
            PendingTasksCount = pending,
            Attributes = [.. stored.Attributes.Select(a => new EcsAttribute { Name = a.Name, Value = a.Value })],
            RegisteredAt = stored.RegisteredAt,
            Attachments = [],
            Tags = Has("TAGS") ? ResourceTag.ToWire(stored.Tags) : null,
            HealthStatus = Has("CONTAINER_INSTANCE_HEALTH") ? Health(stored.Health) : null,
        };
    }

    /// <summary>ECS's health shape of an instance's health: the overall status and the container runtime's check.</summary>
    public static ContainerInstanceHealthStatus Health(InstanceHealth health) => new()
    {
        OverallStatus = health.OverallStatus,
        Details = [new InstanceHealthCheckResult { Type = "CONTAINER_RUNTIME", Status = health.OverallStatus, LastUpdated = health.LastUpdated, LastStatusChange = health.LastStatusChange }],
    };

    private static Resource Integer(string name, int value) => new() { Name = name, Type = "INTEGER", IntegerValue = value, DoubleValue = 0, LongValue = 0 };

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
