namespace Berth.Scheduling.Expressions;

/// <summary>
/// A container instance as the cluster query language sees it. Implementations should answer from data
/// they already hold: <see cref="ClusterQuery.Matches"/> calls these members on every evaluation.
/// </summary>
public interface IQueryTarget
{
    /// <summary>
    /// Looks up an attribute by its exact (case-sensitive) name. False when the instance has no such attribute;
    /// when true, <paramref name="value"/> may still be null (an attribute with no value).
    /// </summary>
    bool TryGetAttribute(string name, out string? value);

    /// <summary>The groups of the tasks on the instance (what <c>task:group</c> queries).</summary>
    IReadOnlySet<string> TaskGroups { get; }

    /// <summary>The EC2 instance ID, or null when the instance has none.</summary>
    string? Ec2InstanceId { get; }

    /// <summary>How many tasks run on the instance.</summary>
    int RunningTasksCount { get; }

    /// <summary>Whether the instance's container agent is connected.</summary>
    bool AgentConnected { get; }

    /// <summary>The container agent's version (e.g. <c>1.14.5</c>), or null when unknown.</summary>
    string? AgentVersion { get; }

    /// <summary>When the instance registered, or null when unknown.</summary>
    DateTimeOffset? RegisteredAt { get; }
}
