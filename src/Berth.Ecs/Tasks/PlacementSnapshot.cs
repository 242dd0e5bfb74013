using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.State;
using Berth.Scheduling;

namespace Berth.Ecs.Tasks;

/// <summary>Turns a cluster of the state into what <see cref="Placement"/> decides over.</summary>
internal static class PlacementSnapshot
{
    // One snapshot per (state, cluster): RunTasks arriving together plan on the same published state, and summing
    // every live task of the cluster once per commit instead of once per RunTask keeps a burst linear. Snapshots are
    // never written after they are made (placement keeps its own counts), so sharing them is safe.
    private static readonly ConditionalWeakTable<EcsState, ConcurrentDictionary<string, ClusterSnapshot>> Cache = new();

    /// <summary>Every instance of the cluster (INACTIVE ones too, so StartTask can say why it refused them).</summary>
    public static ClusterSnapshot Of(EcsState state, ClusterRecord cluster) =>
        Cache.GetValue(state, _ => new ConcurrentDictionary<string, ClusterSnapshot>(StringComparer.Ordinal))
            .GetOrAdd(cluster.ClusterArn, _ => Of(state, ContainerInstanceRules.Of(state, cluster).ToList()));

    /// <summary>Only <paramref name="instances"/> (a commit's re-check of the instances a plan chose).</summary>
    public static ClusterSnapshot Of(EcsState state, List<InstanceRecord> instances) =>
        new(instances.Select(i => Of(state, i)).ToList());

    // An instance's snapshot depends only on its record and its live tasks, both immutable: it is kept beside the
    // record and made again only when its set of live tasks is another one. A commit that adds one task then costs
    // the next snapshot that instance's tasks, not the whole cluster's.
    private static readonly ConditionalWeakTable<InstanceRecord, Made> ByInstance = new();

    private sealed record Made(object? Tasks, InstanceSnapshot Snapshot);

    private static InstanceSnapshot Of(EcsState state, InstanceRecord instance)
    {
        var tasks = state.LiveTasksByInstance.TryGetValue(instance.ContainerInstanceArn, out var live) ? live : null;
        if (ByInstance.TryGetValue(instance, out var made) && ReferenceEquals(made.Tasks, tasks))
        {
            return made.Snapshot;
        }

        var snapshot = Make(state, instance, tasks?.Values ?? []);
        ByInstance.AddOrUpdate(instance, new Made(tasks, snapshot));
        return snapshot;
    }

    private static InstanceSnapshot Make(EcsState state, InstanceRecord i, IEnumerable<TaskRecord> tasks)
    {
        var usage = new Usage();
        foreach (var task in tasks)
        {
            usage.Cpu += task.Cpu;
            usage.Memory += task.Memory;
            TaskResources.AddBoundPorts(state, task, usage.Tcp, usage.Udp);
            usage.Running++;
            if (task.Group is not null)
            {
                usage.Groups[task.Group] = (usage.Groups.TryGetValue(task.Group, out var n) ? n : 0) + 1;
            }
        }

        var registered = new ResourceSet(
            ContainerInstanceRules.Integer(i.RegisteredResources, "CPU"),
            ContainerInstanceRules.Integer(i.RegisteredResources, "MEMORY"),
            ContainerInstanceRules.Ports(i.RegisteredResources, "PORTS"),
            ContainerInstanceRules.Ports(i.RegisteredResources, "PORTS_UDP"));
        var attributes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var attribute in i.Attributes)
        {
            attributes[attribute.Name] = attribute.Value;
        }

        return new InstanceSnapshot(
            ContainerInstanceRules.IdOf(i.ContainerInstanceArn),
            i.ContainerInstanceArn,
            WireText.Of(i.Status),
            i.AgentConnected,
            registered,
            new ResourceSet(usage.Cpu, usage.Memory, usage.Tcp, usage.Udp),
            attributes)
        {
            GroupCounts = usage.Groups,
            RunningTasksCount = usage.Running,
            Ec2InstanceId = i.Ec2InstanceId,
            AgentVersion = i.VersionInfo?.AgentVersion,
            RegisteredAt = i.RegisteredAt,
        };
    }

    private sealed class Usage
    {
        public int Cpu { get; set; }

        public int Memory { get; set; }

        public HashSet<int> Tcp { get; } = [];

        public HashSet<int> Udp { get; } = [];

        public int Running { get; set; }

        public Dictionary<string, int> Groups { get; } = new(StringComparer.Ordinal);
    }
}
