namespace Berth.Scheduling;

/// <summary>
/// An amount of the resources ECS places by: CPU units, MiB of memory, and host ports (TCP and UDP).
/// </summary>
public sealed record ResourceSet(int Cpu, int Memory, IReadOnlySet<int> TcpPorts, IReadOnlySet<int> UdpPorts)
{
    private static readonly IReadOnlySet<int> NoPorts = new HashSet<int>();

    /// <summary>Nothing at all.</summary>
    public static ResourceSet None { get; } = new(0, 0, NoPorts, NoPorts);

    /// <summary>CPU and memory without ports.</summary>
    public static ResourceSet Of(int cpu, int memory) => new(cpu, memory, NoPorts, NoPorts);
}

/// <summary>One container instance as placement sees it.</summary>
/// <param name="Id">The container instance ID (the last segment of its ARN).</param>
/// <param name="Arn">The container instance ARN, which failures name.</param>
/// <param name="Status">ACTIVE, DRAINING, ... — only ACTIVE instances are candidates for placement.</param>
/// <param name="AgentConnected">Whether the agent's channel is up; a disconnected agent cannot start anything.</param>
/// <param name="Registered">What the instance offers; its ports are the ones reserved on the host (never free).</param>
/// <param name="Used">What its tasks hold: CPU, memory and the host ports they bind.</param>
/// <param name="Attributes">Attributes by name (what memberOf expressions and attribute spread read).</param>
public sealed record InstanceSnapshot(
    string Id,
    string Arn,
    string Status,
    bool AgentConnected,
    ResourceSet Registered,
    ResourceSet Used,
    IReadOnlyDictionary<string, string?> Attributes)
{
    private static readonly IReadOnlyDictionary<string, int> NoGroups = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>How many tasks of each task group the instance holds (distinctInstance, spread and <c>task:group</c> read it).</summary>
    public IReadOnlyDictionary<string, int> GroupCounts { get; init; } = NoGroups;

    /// <summary>Tasks on the instance that hold resources (<c>runningTasksCount</c> in queries).</summary>
    public int RunningTasksCount { get; init; }

    /// <summary>The EC2 instance ID the agent registered with, if any (<c>ec2InstanceId</c> in queries).</summary>
    public string? Ec2InstanceId { get; init; }

    /// <summary>The agent's version (<c>agentVersion</c> in queries).</summary>
    public string? AgentVersion { get; init; }

    /// <summary>When the instance registered (<c>registeredAt</c> in queries).</summary>
    public DateTimeOffset? RegisteredAt { get; init; }
}

/// <summary>The container instances of one cluster at the moment of a placement decision.</summary>
public sealed record ClusterSnapshot(IReadOnlyList<InstanceSnapshot> Instances);
