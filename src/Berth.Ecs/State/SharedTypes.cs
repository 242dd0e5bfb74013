using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Berth.Ecs.State;

/// <summary>Where a task runs: ECS's <c>launchType</c>.</summary>
public enum LaunchType
{
    /// <summary>On the user's container instances.</summary>
    [JsonStringEnumMemberName("EC2")]
    Ec2,

    /// <summary>On Berth's own capacity.</summary>
    [JsonStringEnumMemberName("FARGATE")]
    Fargate,

    /// <summary>On external instances.</summary>
    [JsonStringEnumMemberName("EXTERNAL")]
    External,

    /// <summary>On managed instances.</summary>
    [JsonStringEnumMemberName("MANAGED_INSTANCES")]
    ManagedInstances,
}

/// <summary>A task's or a container's health, as ECS reports it.</summary>
public enum HealthStatus
{
    /// <summary>Not known (no health check, or none has answered yet).</summary>
    [JsonStringEnumMemberName("UNKNOWN")]
    Unknown,

    /// <summary>Every check passes.</summary>
    [JsonStringEnumMemberName("HEALTHY")]
    Healthy,

    /// <summary>A check fails.</summary>
    [JsonStringEnumMemberName("UNHEALTHY")]
    Unhealthy,
}

/// <summary>A resource tag (key and value), as every taggable resource keeps them.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value.</param>
public sealed record ResourceTag(string Key, string Value)
{
    /// <summary>Tags of a request as a record keeps them.</summary>
    public static ImmutableArray<ResourceTag> FromWire(IEnumerable<Model.Tag>? tags) => [.. (tags ?? []).Select(t => new ResourceTag(t.Key ?? string.Empty, t.Value ?? string.Empty))];

    /// <summary>A record's tags as ECS shows them.</summary>
    public static List<Model.Tag> ToWire(ImmutableArray<ResourceTag> tags) => [.. tags.Select(t => new Model.Tag { Key = t.Key, Value = t.Value })];
}

/// <summary>A name and a value (a cluster setting, an attachment detail).</summary>
/// <param name="Name">The name.</param>
/// <param name="Value">The value.</param>
public sealed record NameValue(string Name, string? Value);

/// <summary>One entry of a capacity provider strategy.</summary>
/// <param name="CapacityProvider">The provider's name.</param>
/// <param name="Weight">Its relative share (0–1000).</param>
/// <param name="Base">Tasks it runs first (0–100000).</param>
public sealed record StrategyEntry(string CapacityProvider, int? Weight, int? Base);
