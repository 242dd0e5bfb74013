using Berth.Ecs.Arns;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.Services;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;

namespace Berth.Ecs.Capacity;

/// <summary>What ECS asks of an Auto Scaling group provider, read from the ECS state (pure).</summary>
/// <param name="Provider">The capacity provider.</param>
/// <param name="GroupName">Its group's name.</param>
/// <param name="Clusters">The names of the clusters it is associated with.</param>
/// <param name="InstancesWithTasks">EC2 instance ids of the group's container instances that run non-daemon tasks.</param>
/// <param name="Waiting">The size of each task waiting for the provider: in PROVISIONING, or not yet started by its service (no room anywhere yet).</param>
/// <param name="Registered">EC2 instance ids of the group's container instances registered in those clusters.</param>
public sealed record GroupDemand(CapacityProviderRecord Provider, string GroupName, IReadOnlyList<string> Clusters, IReadOnlyList<string> InstancesWithTasks, IReadOnlyList<(int Cpu, int Memory)> Waiting, IReadOnlyList<string> Registered)
{
    /// <summary>The provider's managed scaling settings.</summary>
    public ManagedScaling Scaling => Provider.AutoScalingGroupProvider.Thaw(WireJsonContext.Default.AutoScalingGroupProvider).ManagedScaling ?? new ManagedScaling { Status = "DISABLED" };

    /// <summary>The provider's switches.</summary>
    public AutoScalingGroupProvider Settings => Provider.AutoScalingGroupProvider.Thaw(WireJsonContext.Default.AutoScalingGroupProvider);

    /// <summary>Every Auto Scaling group provider of the state with what its clusters ask of it.</summary>
    public static IReadOnlyList<GroupDemand> Of(EcsState state)
    {
        var result = new List<GroupDemand>();
        foreach (var provider in state.CapacityProviders.Values)
        {
            if (!EcsArn.TryParse(provider.CapacityProviderArn, out var arn))
            {
                continue;
            }

            var scope = new Scope(arn.Region, arn.AccountId);
            var group = GroupCapacity.GroupName(provider.GroupArn);
            var clusters = state.Clusters.Values.Where(c => c.Status == Berth.Ecs.Clusters.ClusterStatus.Active && c.ClusterArn!.StartsWith(scope.EcsPrefix, StringComparison.Ordinal) && c.CapacityProviders.Contains(provider.Name)).ToList();
            var withTasks = new List<string>();
            var registered = new List<string>();
            var waiting = new List<(int, int)>();
            foreach (var cluster in clusters)
            {
                var daemons = state.Services.Values.Where(s => s.ClusterArn == cluster.ClusterArn && s.SchedulingStrategy == SchedulingStrategy.Daemon).Select(ServiceModel.Group).ToHashSet(StringComparer.Ordinal);
                foreach (var instance in ContainerInstanceRules.Of(state, cluster))
                {
                    if (instance.Status == InstanceStatus.Inactive || !instance.Attributes.Any(a => a.Name == GroupCapacity.Attribute && a.Value == group))
                    {
                        continue;
                    }

                    registered.Add(instance.Ec2InstanceId);
                    if (state.LiveTasksOn(instance.ContainerInstanceArn).Any(t => t.Group is null || !daemons.Contains(t.Group)))
                    {
                        withTasks.Add(instance.Ec2InstanceId);
                    }
                }

                // Tasks waiting in PROVISIONING for this provider's scale-out: ECS's M counts what they need.
                foreach (var task in state.TasksIn(cluster.ClusterArn!))
                {
                    if (TaskProvisioning.Waits(task) && task.CapacityProviderName == provider.Name)
                    {
                        waiting.Add((task.Cpu, task.Memory));
                    }
                }

                foreach (var service in state.Services.Values.Where(s => s.ClusterArn == cluster.ClusterArn && s.Status == ServiceStatus.Active && s.SchedulingStrategy != SchedulingStrategy.Daemon && !s.Deployments.IsEmpty))
                {
                    var primary = service.Primary;
                    if (primary.LaunchType is not null || primary.CapacityProviderStrategy is null)
                    {
                        continue;
                    }

                    // A strategy of several group providers: what waits is asked of the first that may get tasks.
                    var groups = GroupCapacity.Groups(state, scope, StrategyRules.Terms(primary.CapacityProviderStrategy));
                    if (groups.Keys.FirstOrDefault() != provider.Name)
                    {
                        continue;
                    }

                    var live = ServiceModel.TasksOf(state, service).Count(t => t.DesiredStatus == EcsTaskStatus.Running);
                    var missing = service.DesiredCount - live;
                    if (missing > 0 && TaskResources.RevisionOf(state, primary.TaskDefinition)?.Definition is { } definition)
                    {
                        var size = TaskBuilder.SizeOf(definition);
                        waiting.AddRange(Enumerable.Repeat(size, missing));
                    }
                }
            }

            result.Add(new GroupDemand(provider, group, [.. clusters.Select(c => c.ClusterName)], withTasks, waiting, registered));
        }

        return result;
    }
}
