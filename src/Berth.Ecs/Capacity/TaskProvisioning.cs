using Berth.Ecs.Arns;
using Berth.Ecs.CapacityProviders;
using Berth.Ecs.Clusters;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Scheduling;
using Berth.Storage.Commit;

namespace Berth.Ecs.Capacity;

/// <summary>
/// Tasks waiting in PROVISIONING for an Auto Scaling group provider with managed scaling to scale out, as ECS keeps
/// them: a task that fits on none of the group's instances yet is recorded PROVISIONING with no container instance
/// (RunTask does not fail it, a service counts it as pending), managed scaling counts it in M, and it is placed once
/// an instance with room registers — or stopped (<c>TaskFailedToStart</c>) when it has waited the provisioning
/// timeout (ECS: "between 10 and 30 minutes", so 30 minutes by default). Pure: the controller plans on a snapshot
/// (<see cref="Plan"/>) and the writer applies (<see cref="Apply"/>), re-checking each task and instance.
/// </summary>
public static class TaskProvisioning
{
    /// <summary>How long a task waits for capacity by default (the upper end of ECS's 10 to 30 minutes).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);

    /// <summary>The stoppedReason of a task no capacity came for in time (ECS's words for capacity it cannot give).</summary>
    public const string TimedOutReason = FargateCapacity.Unavailable;

    /// <summary>Whether a task waits for capacity: PROVISIONING, wanted RUNNING, on no instance yet.</summary>
    public static bool Waits(TaskRecord task) =>
        task.ContainerInstanceArn is null && task.LastStatus == EcsTaskStatus.Provisioning && task.DesiredStatus == EcsTaskStatus.Running;

    /// <summary>
    /// The provider a task of a strategy over <paramref name="groups"/> (provider name → group) waits for when no
    /// instance has room: the first with managed scaling ENABLED, whose scale-out can bring room; null when none can.
    /// </summary>
    public static string? WaitingProvider(EcsState state, Scope scope, IReadOnlyDictionary<string, string>? groups)
    {
        if (groups is null)
        {
            return null;
        }

        foreach (var name in groups.Keys)
        {
            if (CapacityProviderRules.Find(state, scope, name) is { } provider
                && provider.AutoScalingGroupProvider.Thaw(WireJsonContext.Default.AutoScalingGroupProvider).ManagedScaling?.Status == "ENABLED")
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>
    /// What the waiting tasks of every cluster get on <paramref name="state"/>: an instance of their provider's group
    /// with room (oldest task first, one placement session per cluster so two never take the same room), or, past
    /// <paramref name="timeout"/>, the stop. Tasks that still fit nowhere keep waiting.
    /// </summary>
    public static ProvisioningPlan Plan(EcsState state, DateTimeOffset now, TimeSpan timeout, Random rng)
    {
        var placements = new List<(TaskRecord Task, string InstanceArn, PlacementRequest Demand)>();
        var expired = new List<TaskRecord>();
        foreach (var cluster in state.Clusters.Values)
        {
            if (cluster.Status != ClusterStatus.Active || FargateCapacity.IsCapacity(cluster) || !EcsArn.TryParse(cluster.ClusterArn, out var arn))
            {
                continue;
            }

            var waiting = state.TasksIn(cluster.ClusterArn!).Where(Waits).OrderBy(t => t.CreatedAt).ThenBy(t => t.TaskArn, StringComparer.Ordinal).ToList();
            if (waiting.Count == 0)
            {
                continue;
            }

            var scope = new Scope(arn.Region, arn.AccountId);
            PlacementSession? session = null;
            foreach (var task in waiting)
            {
                if (now - task.CreatedAt >= timeout)
                {
                    expired.Add(task);
                    continue;
                }

                if (task.CapacityProviderName is not { } name || CapacityProviderRules.Find(state, scope, name) is not { } provider)
                {
                    continue;
                }

                session ??= new PlacementSession(PlacementSnapshot.Of(state, cluster), rng);
                var demand = Demand(state, task, new Dictionary<string, string>(StringComparer.Ordinal) { [provider.Name] = GroupCapacity.GroupName(provider.GroupArn) });
                if (session.Place(demand) is [{ Instance: { } instance }])
                {
                    placements.Add((task, instance.Arn, demand));
                }
            }
        }

        return new ProvisioningPlan(placements, expired);
    }

    /// <summary>
    /// The writer's half: each planned task still the very record the plan read, placed on its instance if that is
    /// still ACTIVE with room (checked on the state as this apply leaves it); each expired task stopped with
    /// <c>TaskFailedToStart</c>. The result is how many tasks changed.
    /// </summary>
    public static Decision<EcsState, int> Apply(EcsState state, ProvisioningPlan plan, DateTimeOffset now)
    {
        var edit = new StateEdit(state);
        var count = 0;
        foreach (var (read, instanceArn, demand) in plan.Placements)
        {
            if (!edit.State.Tasks.TryGetValue(read.TaskArn, out var task) || !ReferenceEquals(task, read)
                || !edit.State.ContainerInstances.TryGetValue(instanceArn, out var instance)
                || !TaskDecisions.StillFits(edit.State, read.ClusterArn, demand, [instanceArn]))
            {
                continue;
            }

            edit.Put(task with { ContainerInstanceArn = instanceArn, AvailabilityZone = instance.Attribute("ecs.availability-zone"), Version = task.Version + 1 });
            count++;
        }

        foreach (var read in plan.Expired)
        {
            if (edit.State.Tasks.TryGetValue(read.TaskArn, out var task) && ReferenceEquals(task, read)
                && TaskLifecycle.ForceStopped(task, now, StopCode.TaskFailedToStart, TimedOutReason) is { } stopped)
            {
                edit.Put(stopped);
                count++;
            }
        }

        return edit.Done(count);
    }

    /// <summary>What a waiting task asks of an instance: its size and ports, on its provider's group, spread.</summary>
    internal static PlacementRequest Demand(EcsState state, TaskRecord task, IReadOnlyDictionary<string, string> groups)
    {
        var (tcp, udp) = TaskResources.DefinitionOf(state, task) is { } definition ? TaskResources.StaticPorts(definition) : ([], []);
        return new PlacementRequest(task.Cpu, task.Memory, tcp, udp, 1)
        {
            Group = task.Group,
            Constraints = [GroupCapacity.Constraint(groups)],
            Strategies = [new StrategySpec("spread", "attribute:ecs.availability-zone"), new StrategySpec("spread", "instanceId")],
        };
    }
}

/// <summary>A provisioning pass planned on a snapshot.</summary>
/// <param name="Placements">Waiting tasks with the instance each goes to (and what it asks of it, for the writer's re-check).</param>
/// <param name="Expired">Waiting tasks past the timeout.</param>
public sealed record ProvisioningPlan(IReadOnlyList<(TaskRecord Task, string InstanceArn, PlacementRequest Demand)> Placements, IReadOnlyList<TaskRecord> Expired)
{
    /// <summary>Whether there is nothing to apply.</summary>
    public bool Empty => Placements.Count == 0 && Expired.Count == 0;
}
