using Berth.Scheduling.Expressions;

namespace Berth.Scheduling.Tests.Expressions;

/// <summary>A container instance for query tests; <see cref="Default"/> is the one most tables run against.</summary>
internal sealed class FakeTarget : IQueryTarget
{
    public Dictionary<string, string?> Attributes { get; init; } = new(StringComparer.Ordinal);

    public IReadOnlySet<string> TaskGroups { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    public string? Ec2InstanceId { get; init; }

    public int RunningTasksCount { get; init; }

    public bool AgentConnected { get; init; }

    public string? AgentVersion { get; init; }

    public DateTimeOffset? RegisteredAt { get; init; }

    /// <summary>
    /// A connected t2.small in us-east-1a running one task of service:production (plus a family:web task that is
    /// not running yet), agent 1.14.5, registered 2018-06-18T22:28:28Z.
    /// </summary>
    public static FakeTarget Default { get; } = new()
    {
        Attributes = new(StringComparer.Ordinal)
        {
            ["ecs.instance-type"] = "t2.small",
            ["ecs.availability-zone"] = "us-east-1a",
            ["ecs.ami-id"] = "ami-1234abcd",
            ["ecs.os-type"] = "linux",
            ["stack"] = "prod",
            ["team"] = "data platform",
            ["slots"] = "10",
            ["gpu"] = null,
        },
        TaskGroups = new HashSet<string>(StringComparer.Ordinal) { "service:production", "family:web" },
        Ec2InstanceId = "i-abcd1234",
        RunningTasksCount = 1,
        AgentConnected = true,
        AgentVersion = "1.14.5",
        RegisteredAt = new DateTimeOffset(2018, 6, 18, 22, 28, 28, TimeSpan.Zero),
    };

    /// <summary>An instance with nothing: no attributes, tasks, instance ID, version or registration time.</summary>
    public static FakeTarget Bare { get; } = new();

    public bool TryGetAttribute(string name, out string? value) => Attributes.TryGetValue(name, out value);
}
