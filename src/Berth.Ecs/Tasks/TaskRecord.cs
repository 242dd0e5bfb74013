using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Berth.Ecs.State;

namespace Berth.Ecs.Tasks;

/// <summary>A task's <c>lastStatus</c> (and <c>desiredStatus</c>: RUNNING or STOPPED), in lifecycle order: a task only moves forward.</summary>
public enum EcsTaskStatus
{
    /// <summary>Placed; the agent has not started on it yet.</summary>
    [JsonStringEnumMemberName("PROVISIONING")]
    Provisioning,

    /// <summary>Pulling and creating.</summary>
    [JsonStringEnumMemberName("PENDING")]
    Pending,

    /// <summary>Starting.</summary>
    [JsonStringEnumMemberName("ACTIVATING")]
    Activating,

    /// <summary>Running.</summary>
    [JsonStringEnumMemberName("RUNNING")]
    Running,

    /// <summary>Being stopped (first step).</summary>
    [JsonStringEnumMemberName("DEACTIVATING")]
    Deactivating,

    /// <summary>Being stopped.</summary>
    [JsonStringEnumMemberName("STOPPING")]
    Stopping,

    /// <summary>Being cleaned up.</summary>
    [JsonStringEnumMemberName("DEPROVISIONING")]
    Deprovisioning,

    /// <summary>Over.</summary>
    [JsonStringEnumMemberName("STOPPED")]
    Stopped,
}

/// <summary>A container's <c>lastStatus</c>, in order.</summary>
public enum ContainerStatus
{
    /// <summary>Not started yet.</summary>
    [JsonStringEnumMemberName("PENDING")]
    Pending,

    /// <summary>Running.</summary>
    [JsonStringEnumMemberName("RUNNING")]
    Running,

    /// <summary>Exited or removed.</summary>
    [JsonStringEnumMemberName("STOPPED")]
    Stopped,
}

/// <summary>Why a task stopped: ECS's <c>stopCode</c>.</summary>
public enum StopCode
{
    /// <summary>It never ran.</summary>
    TaskFailedToStart,

    /// <summary>An essential container exited.</summary>
    EssentialContainerExited,

    /// <summary>StopTask.</summary>
    UserInitiated,

    /// <summary>The service scheduler stopped it.</summary>
    ServiceSchedulerInitiated,

    /// <summary>FARGATE_SPOT took its capacity back.</summary>
    SpotInterruption,

    /// <summary>Its host is going away.</summary>
    TerminationNotice,
}

/// <summary>A task's connectivity to the control plane.</summary>
public enum Connectivity
{
    /// <summary>Connected.</summary>
    [JsonStringEnumMemberName("CONNECTED")]
    Connected,

    /// <summary>Disconnected.</summary>
    [JsonStringEnumMemberName("DISCONNECTED")]
    Disconnected,
}

/// <summary>A host port's protocol.</summary>
public enum PortProtocol
{
    /// <summary>TCP.</summary>
    [JsonStringEnumMemberName("tcp")]
    Tcp,

    /// <summary>UDP.</summary>
    [JsonStringEnumMemberName("udp")]
    Udp,
}

/// <summary>
/// A task as the control plane keeps it: immutable, statuses typed, containers shared between versions that do not
/// change them. <see cref="TaskViews.ToWire(TaskRecord, bool, bool)"/> makes ECS's <c>Task</c> shape of it at the edge. Property names are
/// the wire's, so the stored JSON reads as ECS's.
/// </summary>
public sealed record TaskRecord
{
    /// <summary>The task's ARN.</summary>
    public required string TaskArn { get; init; }

    /// <summary>Its cluster's ARN.</summary>
    public required string ClusterArn { get; init; }

    /// <summary>The revision it runs.</summary>
    public required string TaskDefinitionArn { get; init; }

    /// <summary>Where it runs (Berth's capacity host for FARGATE, which the wire hides).</summary>
    public string? ContainerInstanceArn { get; init; }

    /// <summary>Its instance's availability zone.</summary>
    public string? AvailabilityZone { get; init; }

    /// <summary>Its launch type.</summary>
    public LaunchType LaunchType { get; init; }

    /// <summary>The capacity provider a strategy chose, if any.</summary>
    public string? CapacityProviderName { get; init; }

    /// <summary>Where it is in its lifecycle.</summary>
    public EcsTaskStatus LastStatus { get; init; }

    /// <summary>Where it should be: RUNNING or STOPPED.</summary>
    public EcsTaskStatus DesiredStatus { get; init; }

    /// <summary>Its health (its essential containers' health).</summary>
    public HealthStatus HealthStatus { get; init; }

    /// <summary>Connected once RUNNING.</summary>
    public Connectivity? Connectivity { get; init; }

    /// <summary>CPU units it holds.</summary>
    public int Cpu { get; init; }

    /// <summary>MiB it holds.</summary>
    public int Memory { get; init; }

    /// <summary>Its task group (<c>service:NAME</c> for a service's tasks, <c>family:NAME</c> by default).</summary>
    public string? Group { get; init; }

    /// <summary>Who started it (a service's deployment ID for its tasks).</summary>
    public string? StartedBy { get; init; }

    /// <summary>Why it stopped, once it was asked to or did.</summary>
    public StopCode? StopCode { get; init; }

    /// <summary>The reason shown with the stop code.</summary>
    public string? StoppedReason { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its first image pull began.</summary>
    public DateTimeOffset? PullStartedAt { get; init; }

    /// <summary>When its last image pull ended.</summary>
    public DateTimeOffset? PullStoppedAt { get; init; }

    /// <summary>When it reached RUNNING.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it connected.</summary>
    public DateTimeOffset? ConnectivityAt { get; init; }

    /// <summary>When it began stopping.</summary>
    public DateTimeOffset? StoppingAt { get; init; }

    /// <summary>When its containers stopped.</summary>
    public DateTimeOffset? ExecutionStoppedAt { get; init; }

    /// <summary>When it reached STOPPED.</summary>
    public DateTimeOffset? StoppedAt { get; init; }

    /// <summary>Whether ECS Exec is on.</summary>
    public bool EnableExecuteCommand { get; init; }

    /// <summary>FARGATE's platform version.</summary>
    public string? PlatformVersion { get; init; }

    /// <summary>FARGATE's platform family.</summary>
    public string? PlatformFamily { get; init; }

    /// <summary>FARGATE's ephemeral storage.</summary>
    public EphemeralStorageSize? EphemeralStorage { get; init; }

    /// <summary>The overrides it was started with (ECS's <c>TaskOverride</c>, never looked into after the launch checks).</summary>
    public FrozenJson? Overrides { get; init; }

    /// <summary>Its containers, in the definition's order.</summary>
    public ImmutableArray<ContainerRecord> Containers { get; init; } = [];

    /// <summary>Its network interface (awsvpc).</summary>
    public ImmutableArray<TaskAttachment> Attachments { get; init; } = [];

    /// <summary>Its tags.</summary>
    public ImmutableArray<ResourceTag> Tags { get; init; } = [];

    /// <summary>Bumped by every change.</summary>
    public long Version { get; init; }

    /// <summary>What its load balancers' health checks say of its targets (a service task behind a target group).</summary>
    public LoadBalancerHealth? LoadBalancerHealth { get; init; }

    /// <summary>Scale-in protection (UpdateTaskProtection): the service's scale-in does not choose the task before then.</summary>
    public DateTimeOffset? ProtectedUntil { get; init; }

    /// <summary>
    /// The desired status the agent is told: RUNNING while the task is DEACTIVATING (its targets drain before its
    /// containers get the stop signal), else the desired status.
    /// </summary>
    [JsonIgnore]
    public EcsTaskStatus AgentDesiredStatus => LastStatus == EcsTaskStatus.Deactivating ? EcsTaskStatus.Running : DesiredStatus;

    /// <summary>
    /// Whether the task still holds its resources: until both its desired and last status are STOPPED
    /// (a task asked to stop keeps its ports until the agent reports it gone).
    /// </summary>
    [JsonIgnore]
    public bool Holds => DesiredStatus != EcsTaskStatus.Stopped || LastStatus != EcsTaskStatus.Stopped;
}

/// <summary>A load balancer target's health, as its target group's checks see it.</summary>
public enum TargetCheckState
{
    /// <summary>Registered; its checks have not passed yet.</summary>
    Initial,

    /// <summary>Passing its checks.</summary>
    Healthy,

    /// <summary>Failing its checks.</summary>
    Unhealthy,
}

/// <summary>The health of a task's targets taken together: unhealthy if one is, healthy once all are.</summary>
/// <param name="State">The state.</param>
/// <param name="TargetGroupArn">When unhealthy: the target group whose checks fail.</param>
/// <param name="Port">When unhealthy: the failing target's port.</param>
/// <param name="Description">When unhealthy: the checks' description (e.g. <c>Health checks failed with these codes: [500]</c>).</param>
public sealed record LoadBalancerHealth(TargetCheckState State, string? TargetGroupArn = null, int? Port = null, string? Description = null);

/// <summary>A FARGATE task's ephemeral storage.</summary>
/// <param name="SizeInGiB">Its size.</param>
public sealed record EphemeralStorageSize(int SizeInGiB);

/// <summary>One container of a task.</summary>
public sealed record ContainerRecord
{
    /// <summary>The container's ARN.</summary>
    public required string ContainerArn { get; init; }

    /// <summary>The container definition's name.</summary>
    public required string Name { get; init; }

    /// <summary>The image it runs.</summary>
    public string? Image { get; init; }

    /// <summary>The digest of the image it runs, once pulled.</summary>
    public string? ImageDigest { get; init; }

    /// <summary>The Docker container ID.</summary>
    public string? RuntimeId { get; init; }

    /// <summary>Where it is.</summary>
    public ContainerStatus LastStatus { get; init; }

    /// <summary>Its exit code, once it exited.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Why it stopped or failed, as the agent said.</summary>
    public string? Reason { get; init; }

    /// <summary>Its health; null without a health check.</summary>
    public HealthStatus? HealthStatus { get; init; }

    /// <summary>Host ports it is bound on.</summary>
    public ImmutableArray<PortBinding> NetworkBindings { get; init; } = [];

    /// <summary>Its awsvpc address.</summary>
    public ImmutableArray<ContainerInterface> NetworkInterfaces { get; init; } = [];

    /// <summary>CPU units (ECS shows them as text).</summary>
    public string? Cpu { get; init; }

    /// <summary>Hard memory limit, MiB, as text.</summary>
    public string? Memory { get; init; }

    /// <summary>Soft memory limit, MiB, as text.</summary>
    public string? MemoryReservation { get; init; }
}

/// <summary>A host port a container is bound on.</summary>
public sealed record PortBinding
{
    /// <summary>The host address.</summary>
    [JsonPropertyName("bindIP")]
    public string? BindIp { get; init; }

    /// <summary>The container's port.</summary>
    public int? ContainerPort { get; init; }

    /// <summary>The host's port.</summary>
    public int? HostPort { get; init; }

    /// <summary>The protocol.</summary>
    public PortProtocol Protocol { get; init; }

    /// <summary>A container port range, when mapped as one.</summary>
    public string? ContainerPortRange { get; init; }

    /// <summary>The host port range of it.</summary>
    public string? HostPortRange { get; init; }
}

/// <summary>A container's awsvpc interface.</summary>
/// <param name="AttachmentId">The attachment it belongs to.</param>
/// <param name="PrivateIpv4Address">Its address.</param>
public sealed record ContainerInterface(string? AttachmentId, string? PrivateIpv4Address);

/// <summary>A task's attachment (its awsvpc network interface).</summary>
/// <param name="Id">Its ID.</param>
/// <param name="Type">Its type (ElasticNetworkInterface).</param>
/// <param name="Status">Its status (PRECREATED, ATTACHED, ...).</param>
/// <param name="Details">Its details, by name.</param>
public sealed record TaskAttachment(string Id, string Type, string Status, ImmutableArray<NameValue> Details);
