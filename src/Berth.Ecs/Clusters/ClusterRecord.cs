using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.Clusters;

/// <summary>A cluster's <c>status</c>.</summary>
public enum ClusterStatus
{
    /// <summary>In use.</summary>
    [JsonStringEnumMemberName("ACTIVE")]
    Active,

    /// <summary>Deleted (still describable, as in ECS).</summary>
    [JsonStringEnumMemberName("INACTIVE")]
    Inactive,
}

/// <summary>
/// A cluster as the control plane keeps it: immutable, status typed; its configuration (ECS's shape, never looked
/// into) frozen. <see cref="ClusterViews.Render"/> makes ECS's <c>Cluster</c> with live counts at the edge.
/// </summary>
public sealed record ClusterRecord
{
    /// <summary>The cluster's ARN.</summary>
    public required string ClusterArn { get; init; }

    /// <summary>Its name.</summary>
    public required string ClusterName { get; init; }

    /// <summary>ACTIVE or INACTIVE.</summary>
    public ClusterStatus Status { get; init; }

    /// <summary>Its settings (containerInsights), by name.</summary>
    public ImmutableArray<NameValue> Settings { get; init; } = [];

    /// <summary>Its configuration (ECS's <c>ClusterConfiguration</c>), if any.</summary>
    public FrozenJson? Configuration { get; init; }

    /// <summary>Its tags.</summary>
    public ImmutableArray<ResourceTag> Tags { get; init; } = [];

    /// <summary>The capacity providers associated with it.</summary>
    public ImmutableArray<string> CapacityProviders { get; init; } = [];

    /// <summary>The strategy used when a task names neither a launch type nor a strategy.</summary>
    public ImmutableArray<StrategyEntry> DefaultCapacityProviderStrategy { get; init; } = [];

    /// <summary>Its Service Connect default namespace.</summary>
    public string? ServiceConnectNamespace { get; init; }

    /// <summary>A strategy as ECS's wire list.</summary>
    public static List<CapacityProviderStrategyItem> ToWire(ImmutableArray<StrategyEntry> strategy)
        => [.. strategy.Select(s => new CapacityProviderStrategyItem { CapacityProvider = s.CapacityProvider, Weight = s.Weight, Base = s.Base })];

    /// <summary>A wire strategy as the record keeps it.</summary>
    public static ImmutableArray<StrategyEntry> FromWire(IEnumerable<CapacityProviderStrategyItem>? strategy)
        => [.. (strategy ?? []).Select(s => new StrategyEntry(s.CapacityProvider ?? string.Empty, s.Weight, s.Base))];
}
