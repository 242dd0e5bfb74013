using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Berth.Ecs.State;

namespace Berth.Ecs.Services;

/// <summary>A service's <c>deploymentController.type</c>.</summary>
public enum DeploymentControllerType
{
    /// <summary>Rolling updates by ECS's own scheduler (deployments).</summary>
    [JsonStringEnumMemberName("ECS")]
    Ecs,

    /// <summary>Blue/green by CodeDeploy (not run by Berth).</summary>
    [JsonStringEnumMemberName("CODE_DEPLOY")]
    CodeDeploy,

    /// <summary>A third-party controller drives the service through task sets.</summary>
    [JsonStringEnumMemberName("EXTERNAL")]
    External,
}

/// <summary>A task set's <c>status</c>.</summary>
public enum TaskSetStatus
{
    /// <summary>Serves production traffic (UpdateServicePrimaryTaskSet chose it).</summary>
    [JsonStringEnumMemberName("PRIMARY")]
    Primary,

    /// <summary>Does not serve production traffic.</summary>
    [JsonStringEnumMemberName("ACTIVE")]
    Active,

    /// <summary>Deleted: its tasks are being stopped and their targets deregistered.</summary>
    [JsonStringEnumMemberName("DRAINING")]
    Draining,
}

/// <summary>A task set's <c>stabilityStatus</c>.</summary>
public enum StabilityStatus
{
    /// <summary>Running its computed desired count, nothing pending, every task healthy and on an ACTIVE instance.</summary>
    [JsonStringEnumMemberName("STEADY_STATE")]
    SteadyState,

    /// <summary>Anything else.</summary>
    [JsonStringEnumMemberName("STABILIZING")]
    Stabilizing,
}

/// <summary>
/// One task set of an EXTERNAL service, kept inside its service's record: what it runs (task definition, launch
/// configuration, network, load balancers), its share of the service's desired count (<see cref="ScaleValue"/> percent),
/// and what the controller last counted. Its tasks are started by its <see cref="Id"/>.
/// </summary>
public sealed record TaskSetRecord
{
    /// <summary>Its ID (<c>ecs-svc/</c> and 19 digits): the <c>startedBy</c> of its tasks.</summary>
    public required string Id { get; init; }

    /// <summary>Its ARN: <c>arn:aws:ecs:REGION:ACCOUNT:task-set/CLUSTER/SERVICE/ID</c>.</summary>
    public required string TaskSetArn { get; init; }

    /// <summary>PRIMARY, ACTIVE or DRAINING.</summary>
    public TaskSetStatus Status { get; init; }

    /// <summary>The external system's tag of it.</summary>
    public string? ExternalId { get; init; }

    /// <summary>The revision its tasks run.</summary>
    public required string TaskDefinition { get; init; }

    /// <summary>The percentage of the service's desired count it runs (0–100).</summary>
    public double ScaleValue { get; init; }

    /// <summary>ceil(<see cref="ScaleValue"/> % × the service's desired count); 0 once DRAINING.</summary>
    public int ComputedDesiredCount { get; init; }

    /// <summary>Its tasks RUNNING (after the last pass).</summary>
    public int RunningCount { get; init; }

    /// <summary>Its tasks on their way to RUNNING.</summary>
    public int PendingCount { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it was last changed (scale, status).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Its launch type; null with a capacity provider strategy.</summary>
    public LaunchType? LaunchType { get; init; }

    /// <summary>Its capacity provider strategy (ECS's list), if any.</summary>
    public FrozenJson? CapacityProviderStrategy { get; init; }

    /// <summary>FARGATE's platform version.</summary>
    public string? PlatformVersion { get; init; }

    /// <summary>FARGATE's platform family.</summary>
    public string? PlatformFamily { get; init; }

    /// <summary>Its network configuration (ECS's shape), if any.</summary>
    public FrozenJson? NetworkConfiguration { get; init; }

    /// <summary>The target groups its tasks are registered in.</summary>
    public ImmutableArray<ServiceLoadBalancer> LoadBalancers { get; init; } = [];

    /// <summary>Its service registries (ECS's list).</summary>
    public FrozenJson? ServiceRegistries { get; init; }

    /// <summary>STEADY_STATE or STABILIZING.</summary>
    public StabilityStatus StabilityStatus { get; init; } = StabilityStatus.Stabilizing;

    /// <summary>When <see cref="StabilityStatus"/> last changed.</summary>
    public DateTimeOffset StabilityStatusAt { get; init; }

    /// <summary>Its tags.</summary>
    public ImmutableArray<ResourceTag> Tags { get; init; } = [];

    /// <summary>The CreateTaskSet <c>clientToken</c> that made it (the same token again returns it).</summary>
    public string? ClientToken { get; init; }
}
