using Berth.Ecs.State;
using Berth.Ecs.Tasks;
using Berth.Scheduling.Expressions;

namespace Berth.Ecs.ContainerInstances;

/// <summary>A stored container instance as the cluster query language sees it.</summary>
internal sealed class InstanceQueryTarget : IQueryTarget
{
    private static readonly IReadOnlySet<string> NoGroups = new HashSet<string>(StringComparer.Ordinal);

    private readonly Dictionary<string, string?> _attributes = new(StringComparer.Ordinal);

    /// <param name="instance">The stored instance.</param>
    /// <param name="taskGroups">The groups of the tasks that still hold resources on it.</param>
    /// <param name="runningTasksCount">Its tasks whose last status is RUNNING (as DescribeContainerInstances counts them).</param>
    public InstanceQueryTarget(InstanceRecord instance, IReadOnlySet<string> taskGroups, int runningTasksCount)
    {
        foreach (var attribute in instance.Attributes)
        {
            _attributes[attribute.Name] = attribute.Value;
        }

        TaskGroups = taskGroups;
        Ec2InstanceId = instance.Ec2InstanceId;
        RunningTasksCount = runningTasksCount;
        AgentConnected = instance.AgentConnected;
        AgentVersion = instance.VersionInfo?.AgentVersion;
        RegisteredAt = instance.RegisteredAt;
    }

    public IReadOnlySet<string> TaskGroups { get; }

    public string? Ec2InstanceId { get; }

    public int RunningTasksCount { get; }

    public bool AgentConnected { get; }

    public string? AgentVersion { get; }

    public DateTimeOffset? RegisteredAt { get; }

    /// <summary>
    /// Targets for <paramref name="instances"/>, by ARN, from the tasks that hold resources on each (the stored
    /// instances carry no task counts: DescribeContainerInstances computes them, and they are counted here the same way).
    /// </summary>
    public static Dictionary<string, InstanceQueryTarget> Of(EcsState state, IEnumerable<InstanceRecord> instances)
    {
        var targets = new Dictionary<string, InstanceQueryTarget>(StringComparer.Ordinal);
        foreach (var instance in instances)
        {
            HashSet<string>? groups = null;
            var running = 0;
            foreach (var task in state.LiveTasksOn(instance.ContainerInstanceArn))
            {
                running += task.LastStatus == EcsTaskStatus.Running ? 1 : 0;
                if (task.Group is not null)
                {
                    (groups ??= new HashSet<string>(StringComparer.Ordinal)).Add(task.Group);
                }
            }

            targets[instance.ContainerInstanceArn] = new InstanceQueryTarget(instance, groups ?? NoGroups, running);
        }

        return targets;
    }

    public bool TryGetAttribute(string name, out string? value) => _attributes.TryGetValue(name, out value);
}
