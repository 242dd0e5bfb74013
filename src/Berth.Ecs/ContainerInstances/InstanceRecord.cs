using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.ContainerInstances;

/// <summary>A container instance's <c>status</c>.</summary>
public enum InstanceStatus
{
    /// <summary>Takes tasks.</summary>
    [JsonStringEnumMemberName("ACTIVE")]
    Active,

    /// <summary>Takes no new tasks.</summary>
    [JsonStringEnumMemberName("DRAINING")]
    Draining,

    /// <summary>Registering.</summary>
    [JsonStringEnumMemberName("REGISTERING")]
    Registering,

    /// <summary>Deregistering.</summary>
    [JsonStringEnumMemberName("DEREGISTERING")]
    Deregistering,

    /// <summary>Registration failed.</summary>
    [JsonStringEnumMemberName("REGISTRATION_FAILED")]
    RegistrationFailed,

    /// <summary>Deregistered (still describable, as in ECS).</summary>
    [JsonStringEnumMemberName("INACTIVE")]
    Inactive,
}

/// <summary>
/// A container instance as the control plane keeps it: immutable, status typed, its registered resources and
/// attributes typed. <see cref="ContainerInstanceViews.Render"/> makes ECS's <c>ContainerInstance</c> (with what
/// its tasks hold) at the edge.
/// </summary>
public sealed record InstanceRecord
{
    /// <summary>The instance's ARN.</summary>
    public required string ContainerInstanceArn { get; init; }

    /// <summary>Its EC2 instance ID (made up when the agent runs outside EC2).</summary>
    public required string Ec2InstanceId { get; init; }

    /// <summary>Its status.</summary>
    public InstanceStatus Status { get; init; }

    /// <summary>Why it has that status.</summary>
    public string? StatusReason { get; init; }

    /// <summary>Whether its agent's channel is open.</summary>
    public bool AgentConnected { get; init; }

    /// <summary>
    /// When the server holding the agent's channel last said it was still open (several servers only): a server that
    /// died with the channel open stops saying so, and the leader then counts the agent as gone.
    /// </summary>
    public DateTimeOffset? AgentSeenAt { get; init; }

    /// <summary>Bumped by every change.</summary>
    public long Version { get; init; }

    /// <summary>When it first registered.</summary>
    public DateTimeOffset RegisteredAt { get; init; }

    /// <summary>What its agent registered: CPU, MEMORY, PORTS, PORTS_UDP and anything else sent.</summary>
    public ImmutableArray<ResourceRecord> RegisteredResources { get; init; } = [];

    /// <summary>Its attributes (the agent's and custom ones), by name.</summary>
    public ImmutableArray<NameValue> Attributes { get; init; } = [];

    /// <summary>Its agent's and Docker's versions.</summary>
    public AgentVersions? VersionInfo { get; init; }

    /// <summary>Its tags.</summary>
    public ImmutableArray<ResourceTag> Tags { get; init; } = [];

    /// <summary>Its health: OK, INITIALIZING, INSUFFICIENT_DATA, ...</summary>
    public required InstanceHealth Health { get; init; }

    /// <summary>An attribute's value, or null.</summary>
    public string? Attribute(string name)
    {
        // A loop, not LINQ: every task RunTask builds reads its instance's zone here.
        foreach (var attribute in Attributes)
        {
            if (attribute.Name == name)
            {
                return attribute.Value;
            }
        }

        return null;
    }
}

/// <summary>One registered resource.</summary>
public sealed record ResourceRecord
{
    /// <summary>Its name (CPU, MEMORY, PORTS, PORTS_UDP, ...).</summary>
    public required string Name { get; init; }

    /// <summary>INTEGER, LONG, DOUBLE or STRINGSET.</summary>
    public required string Type { get; init; }

    /// <summary>An INTEGER's value.</summary>
    public int? IntegerValue { get; init; }

    /// <summary>A LONG's value.</summary>
    public long? LongValue { get; init; }

    /// <summary>A DOUBLE's value.</summary>
    public double? DoubleValue { get; init; }

    /// <summary>A STRINGSET's values.</summary>
    public ImmutableArray<string> StringSetValue { get; init; } = [];

    /// <summary>ECS's <c>Resource</c> shape.</summary>
    public Resource ToWire() => new()
    {
        Name = Name,
        Type = Type,
        IntegerValue = IntegerValue,
        LongValue = LongValue,
        DoubleValue = DoubleValue,
        StringSetValue = Type == "STRINGSET" ? [.. StringSetValue] : null,
    };

    /// <summary>A resource as the record keeps it.</summary>
    public static ResourceRecord FromWire(Resource resource) => new()
    {
        Name = resource.Name ?? string.Empty,
        Type = resource.Type ?? "INTEGER",
        IntegerValue = resource.IntegerValue,
        LongValue = resource.LongValue,
        DoubleValue = resource.DoubleValue,
        StringSetValue = [.. resource.StringSetValue ?? []],
    };
}

/// <summary>An agent's version information.</summary>
/// <param name="AgentVersion">The agent's version.</param>
/// <param name="AgentHash">The agent's commit.</param>
/// <param name="DockerVersion">Docker's version.</param>
public sealed record AgentVersions(string? AgentVersion, string? AgentHash, string? DockerVersion);

/// <summary>An instance's health: its overall status and when it was checked and last changed.</summary>
/// <param name="OverallStatus">OK, IMPAIRED, INSUFFICIENT_DATA or INITIALIZING.</param>
/// <param name="LastUpdated">When it was checked.</param>
/// <param name="LastStatusChange">When it last changed.</param>
public sealed record InstanceHealth(string OverallStatus, DateTimeOffset LastUpdated, DateTimeOffset LastStatusChange);
