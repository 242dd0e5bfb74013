namespace Berth.Scheduling.Expressions;

/// <summary>What a cluster query expression can ask of one container instance.</summary>
public interface IQueryTarget
{
    /// <summary>Gets an attribute's value; false when the instance has no such attribute (a present attribute may have no value).</summary>
    bool TryGetAttribute(string name, out string? value);

    /// <summary>Gets the groups of the tasks on the instance (<c>task:group</c>).</summary>
    IReadOnlySet<string> TaskGroups { get; }

    /// <summary>Gets the EC2 instance ID, when the instance has one.</summary>
    string? Ec2InstanceId { get; }

    /// <summary>Gets how many tasks run on the instance.</summary>
    int RunningTasksCount { get; }

    /// <summary>Gets a value indicating whether the instance's agent is connected.</summary>
    bool AgentConnected { get; }

    /// <summary>Gets the agent's version.</summary>
    string? AgentVersion { get; }

    /// <summary>Gets when the instance registered.</summary>
    DateTimeOffset? RegisteredAt { get; }
}
