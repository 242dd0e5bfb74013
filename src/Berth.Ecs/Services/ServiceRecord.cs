using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Berth.Ecs.State;

namespace Berth.Ecs.Services;

/// <summary>A service's <c>status</c>.</summary>
public enum ServiceStatus
{
    /// <summary>Running its tasks.</summary>
    [JsonStringEnumMemberName("ACTIVE")]
    Active,

    /// <summary>Deleted; its tasks are being stopped.</summary>
    [JsonStringEnumMemberName("DRAINING")]
    Draining,

    /// <summary>Deleted, nothing left running.</summary>
    [JsonStringEnumMemberName("INACTIVE")]
    Inactive,
}

/// <summary>How a service places its tasks.</summary>
public enum SchedulingStrategy
{
    /// <summary>A desired count of tasks.</summary>
    [JsonStringEnumMemberName("REPLICA")]
    Replica,

    /// <summary>One task on every eligible instance.</summary>
    [JsonStringEnumMemberName("DAEMON")]
    Daemon,
}

/// <summary>A deployment's <c>status</c>.</summary>
public enum DeploymentStatus
{
    /// <summary>The newest: what the service runs towards.</summary>
    [JsonStringEnumMemberName("PRIMARY")]
    Primary,

    /// <summary>An older one still being drained.</summary>
    [JsonStringEnumMemberName("ACTIVE")]
    Active,

    /// <summary>Done with.</summary>
    [JsonStringEnumMemberName("INACTIVE")]
    Inactive,
}

/// <summary>A deployment's <c>rolloutState</c>.</summary>
public enum RolloutState
{
    /// <summary>Rolling out.</summary>
    [JsonStringEnumMemberName("IN_PROGRESS")]
    InProgress,

    /// <summary>Reached steady state.</summary>
    [JsonStringEnumMemberName("COMPLETED")]
    Completed,

    /// <summary>The circuit breaker tripped.</summary>
    [JsonStringEnumMemberName("FAILED")]
    Failed,
}

/// <summary>A service deployment's <c>status</c> (ListServiceDeployments, DescribeServiceDeployments).</summary>
public enum ServiceDeploymentStatus
{
    /// <summary>Not started.</summary>
    [JsonStringEnumMemberName("PENDING")]
    Pending,

    /// <summary>Going on.</summary>
    [JsonStringEnumMemberName("IN_PROGRESS")]
    InProgress,

    /// <summary>Done.</summary>
    [JsonStringEnumMemberName("SUCCESSFUL")]
    Successful,

    /// <summary>Superseded or stopped.</summary>
    [JsonStringEnumMemberName("STOPPED")]
    Stopped,

    /// <summary>A stop was asked for.</summary>
    [JsonStringEnumMemberName("STOP_REQUESTED")]
    StopRequested,

    /// <summary>A rollback was asked for.</summary>
    [JsonStringEnumMemberName("ROLLBACK_REQUESTED")]
    RollbackRequested,

    /// <summary>Rolling back.</summary>
    [JsonStringEnumMemberName("ROLLBACK_IN_PROGRESS")]
    RollbackInProgress,

    /// <summary>Rolled back.</summary>
    [JsonStringEnumMemberName("ROLLBACK_SUCCESSFUL")]
    RollbackSuccessful,

    /// <summary>The rollback failed.</summary>
    [JsonStringEnumMemberName("ROLLBACK_FAILED")]
    RollbackFailed,
}

/// <summary>
/// A service as the control plane keeps it: immutable, statuses typed; configuration the controller never looks
/// into (network, load balancers, registries, capacity provider strategy) kept frozen as ECS's JSON. Beside what
/// DescribeServices shows, the revisions and service deployments the newer APIs list, and the controller's memory.
/// <see cref="ServiceViews"/> makes the wire shapes.
/// </summary>
public sealed record ServiceRecord
{
    /// <summary>The service's ARN.</summary>
    public required string ServiceArn { get; init; }

    /// <summary>Its name.</summary>
    public required string ServiceName { get; init; }

    /// <summary>Its cluster's ARN.</summary>
    public required string ClusterArn { get; init; }

    /// <summary>Its status.</summary>
    public ServiceStatus Status { get; init; }

    /// <summary>REPLICA or DAEMON.</summary>
    public SchedulingStrategy SchedulingStrategy { get; init; }

    /// <summary>Tasks it should run.</summary>
    public int DesiredCount { get; init; }

    /// <summary>Tasks RUNNING (after the last pass).</summary>
    public int RunningCount { get; init; }

    /// <summary>Tasks on their way to RUNNING.</summary>
    public int PendingCount { get; init; }

    /// <summary>The revision it deploys.</summary>
    public required string TaskDefinition { get; init; }

    /// <summary>Its launch type; null with a capacity provider strategy.</summary>
    public LaunchType? LaunchType { get; init; }

    /// <summary>Its capacity provider strategy (ECS's list), if any.</summary>
    public FrozenJson? CapacityProviderStrategy { get; init; }

    /// <summary>FARGATE's platform version.</summary>
    public string? PlatformVersion { get; init; }

    /// <summary>FARGATE's platform family.</summary>
    public string? PlatformFamily { get; init; }

    /// <summary>How deployments roll.</summary>
    public required DeploymentSettings DeploymentConfiguration { get; init; }

    /// <summary>Its deployments, newest (PRIMARY) first.</summary>
    public ImmutableArray<DeploymentRecord> Deployments { get; init; } = [];

    /// <summary>Its events, newest first, at most <see cref="ServiceModel.MaxEvents"/>.</summary>
    public ImmutableArray<ServiceEventRecord> Events { get; init; } = [];

    /// <summary>The service role.</summary>
    public string? RoleArn { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Who created it.</summary>
    public string? CreatedBy { get; init; }

    /// <summary>The current service deployment's ARN.</summary>
    public string? CurrentServiceDeployment { get; init; }

    /// <summary>The revisions it runs now.</summary>
    public ImmutableArray<RevisionCount> CurrentServiceRevisions { get; init; } = [];

    /// <summary>Its placement constraints.</summary>
    public ImmutableArray<PlacementRule> PlacementConstraints { get; init; } = [];

    /// <summary>Its placement strategy.</summary>
    public ImmutableArray<PlacementRule> PlacementStrategy { get; init; } = [];

    /// <summary>Its network configuration (ECS's shape), if any.</summary>
    public FrozenJson? NetworkConfiguration { get; init; }

    /// <summary>Its load balancers: the target groups its tasks are registered in.</summary>
    public ImmutableArray<ServiceLoadBalancer> LoadBalancers { get; init; } = [];

    /// <summary>Its service registries (ECS's list).</summary>
    public FrozenJson? ServiceRegistries { get; init; }

    /// <summary>Seconds a new task's health is not held against it.</summary>
    public int HealthCheckGracePeriodSeconds { get; init; }

    /// <summary>Its tags.</summary>
    public ImmutableArray<ResourceTag> Tags { get; init; } = [];

    /// <summary>Whether its tasks get ECS's managed tags.</summary>
    public bool EnableEcsManagedTags { get; init; }

    /// <summary>NONE, SERVICE or TASK_DEFINITION.</summary>
    public string PropagateTags { get; init; } = "NONE";

    /// <summary>Whether ECS Exec is on for its tasks.</summary>
    public bool EnableExecuteCommand { get; init; }

    /// <summary>ENABLED or DISABLED.</summary>
    public string AvailabilityZoneRebalancing { get; init; } = "DISABLED";

    /// <summary>Every revision of the service, oldest first: one per deployment (DescribeServiceRevisions).</summary>
    public ImmutableArray<RevisionRecord> Revisions { get; init; } = [];

    /// <summary>Every service deployment, oldest first (ListServiceDeployments, DescribeServiceDeployments).</summary>
    public ImmutableArray<ServiceDeploymentRecord> History { get; init; } = [];

    /// <summary>What the controller remembers between passes.</summary>
    public ControllerMemory Controller { get; init; } = new();

    /// <summary>When the service became INACTIVE (it is purged a retention period later, as ECS may purge them).</summary>
    public DateTimeOffset? InactiveAt { get; init; }

    /// <summary>ECS (deployments, the default) or EXTERNAL (task sets).</summary>
    public DeploymentControllerType DeploymentController { get; init; }

    /// <summary>An EXTERNAL service's task sets, oldest first (a DRAINING one until its tasks have stopped).</summary>
    public ImmutableArray<TaskSetRecord> TaskSets { get; init; } = [];

    /// <summary>Whether a third-party controller drives it through task sets.</summary>
    [JsonIgnore]
    public bool External => DeploymentController == DeploymentControllerType.External;

    /// <summary>An EXTERNAL service's PRIMARY task set, if one was chosen.</summary>
    [JsonIgnore]
    public TaskSetRecord? PrimaryTaskSet => TaskSets.FirstOrDefault(t => t.Status == TaskSetStatus.Primary);

    /// <summary>The PRIMARY deployment.</summary>
    [JsonIgnore]
    public DeploymentRecord Primary => Deployments.First(d => d.Status == DeploymentStatus.Primary);
}

/// <summary>A service's deployment configuration.</summary>
public sealed record DeploymentSettings
{
    /// <summary>Most tasks, as a percentage of the desired count, during a deployment.</summary>
    public int MaximumPercent { get; init; }

    /// <summary>Fewest healthy tasks, as a percentage of the desired count, during a deployment.</summary>
    public int MinimumHealthyPercent { get; init; }

    /// <summary>Whether the circuit breaker watches deployments.</summary>
    public bool CircuitBreakerEnabled { get; init; }

    /// <summary>Whether a tripped circuit breaker rolls back.</summary>
    public bool CircuitBreakerRollback { get; init; }

    /// <summary>The rest of ECS's shape (alarms, strategy, bake time, hooks), kept as given.</summary>
    public FrozenJson? Rest { get; init; }
}

/// <summary>One deployment of a service.</summary>
public sealed record DeploymentRecord
{
    /// <summary>Its ID (<c>ecs-svc/</c> and 19 digits); its tasks are started by it.</summary>
    public required string Id { get; init; }

    /// <summary>PRIMARY, ACTIVE or INACTIVE.</summary>
    public DeploymentStatus Status { get; init; }

    /// <summary>The revision it runs.</summary>
    public required string TaskDefinition { get; init; }

    /// <summary>Tasks it should run.</summary>
    public int DesiredCount { get; init; }

    /// <summary>Its tasks on their way.</summary>
    public int PendingCount { get; init; }

    /// <summary>Its tasks RUNNING.</summary>
    public int RunningCount { get; init; }

    /// <summary>Its tasks that failed (the circuit breaker's count).</summary>
    public int FailedTasks { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Its launch type; null with a strategy.</summary>
    public LaunchType? LaunchType { get; init; }

    /// <summary>Its capacity provider strategy.</summary>
    public FrozenJson? CapacityProviderStrategy { get; init; }

    /// <summary>FARGATE's platform version.</summary>
    public string? PlatformVersion { get; init; }

    /// <summary>FARGATE's platform family.</summary>
    public string? PlatformFamily { get; init; }

    /// <summary>Its network configuration.</summary>
    public FrozenJson? NetworkConfiguration { get; init; }

    /// <summary>Where its rollout is.</summary>
    public RolloutState RolloutState { get; init; }

    /// <summary>ECS's words for it.</summary>
    public string? RolloutStateReason { get; init; }
}

/// <summary>One service event.</summary>
/// <param name="Id">Its ID.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="Message">What.</param>
public sealed record ServiceEventRecord(string Id, DateTimeOffset CreatedAt, string Message);

/// <summary>A placement constraint (type, expression) or strategy (type, field).</summary>
/// <param name="Type">Its type.</param>
/// <param name="Value">The constraint's expression or the strategy's field.</param>
public sealed record PlacementRule(string Type, string? Value);

/// <summary>A revision with its task counts (a service's current revisions, a service deployment's source and target).</summary>
/// <param name="Arn">The revision's ARN.</param>
/// <param name="Requested">Tasks asked for.</param>
/// <param name="Running">Tasks RUNNING.</param>
/// <param name="Pending">Tasks pending.</param>
public sealed record RevisionCount(string Arn, int Requested, int Running, int Pending);

/// <summary>A service revision: its ARN, and ECS's <c>ServiceRevision</c> as made (revisions never change).</summary>
/// <param name="Arn">The revision's ARN.</param>
/// <param name="Body">ECS's shape of it.</param>
public sealed record RevisionRecord(string Arn, FrozenJson Body);

/// <summary>A service deployment (the newer deployment APIs' record of one deployment).</summary>
public sealed record ServiceDeploymentRecord
{
    /// <summary>Its ARN.</summary>
    public required string ServiceDeploymentArn { get; init; }

    /// <summary>When it was made.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it finished.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>When it was stopped.</summary>
    public DateTimeOffset? StoppedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The revisions it moves away from.</summary>
    public ImmutableArray<RevisionCount> SourceServiceRevisions { get; init; } = [];

    /// <summary>The revision it moves to.</summary>
    public required RevisionCount TargetServiceRevision { get; init; }

    /// <summary>Where it is.</summary>
    public ServiceDeploymentStatus Status { get; init; }

    /// <summary>Why.</summary>
    public string? StatusReason { get; init; }

    /// <summary>The deployment configuration it runs with.</summary>
    public required DeploymentSettings DeploymentConfiguration { get; init; }

    /// <summary>Its rollback, if it rolled back.</summary>
    public DeploymentRollback? Rollback { get; init; }

    /// <summary>The circuit breaker: MONITORING, TRIGGERED or DISABLED.</summary>
    public required string CircuitBreakerStatus { get; init; }

    /// <summary>Failed tasks counted by the circuit breaker.</summary>
    public int CircuitBreakerFailureCount { get; init; }

    /// <summary>Failed tasks that trip it.</summary>
    public int CircuitBreakerThreshold { get; init; }
}

/// <summary>A service deployment's rollback.</summary>
/// <param name="Reason">Why.</param>
/// <param name="StartedAt">When.</param>
/// <param name="ServiceRevisionArn">The revision it rolls back to.</param>
public sealed record DeploymentRollback(string Reason, DateTimeOffset StartedAt, string ServiceRevisionArn);
