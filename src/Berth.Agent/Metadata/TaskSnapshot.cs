using Berth.Agent.Engine;
using TaskStatus = Berth.Agent.Engine.TaskStatus;

namespace Berth.Agent.Metadata;

/// <summary>
/// What the agent knows of one task at one moment, as its actor last published it: an immutable copy the metadata
/// endpoint and the introspection API read from any thread, never the actor's own state.
/// </summary>
/// <param name="TaskArn">The task.</param>
/// <param name="ClusterArn">Its cluster.</param>
/// <param name="Family">The task definition's family.</param>
/// <param name="Revision">The task definition's revision.</param>
/// <param name="DesiredRunning">The task is desired RUNNING (else STOPPED).</param>
/// <param name="Known">The last status reported to the control plane.</param>
/// <param name="NetworkMode">bridge, host, awsvpc or none.</param>
/// <param name="LaunchType">EC2 or FARGATE, as the control plane has it.</param>
/// <param name="AvailabilityZone">The task's zone.</param>
/// <param name="Cpu">Task-level CPU units, if set.</param>
/// <param name="Memory">Task-level memory (MiB), if set.</param>
/// <param name="PullStartedAt">When the first pull started.</param>
/// <param name="PullStoppedAt">When the last pull ended.</param>
/// <param name="TaskAddress">The awsvpc task's address (its pause container's), once provisioned.</param>
/// <param name="PauseId">The awsvpc task's pause container, which holds its network interface.</param>
/// <param name="Containers">The task's containers, in definition order.</param>
public sealed record TaskSnapshot(
    string TaskArn,
    string ClusterArn,
    string Family,
    long Revision,
    bool DesiredRunning,
    TaskStatus Known,
    string NetworkMode,
    string? LaunchType,
    string? AvailabilityZone,
    int? Cpu,
    int? Memory,
    DateTimeOffset? PullStartedAt,
    DateTimeOffset? PullStoppedAt,
    string? TaskAddress,
    string? PauseId,
    IReadOnlyList<ContainerSnapshot> Containers);

/// <summary>One container of a <see cref="TaskSnapshot"/>.</summary>
/// <param name="Name">Its name in the task definition.</param>
/// <param name="MetadataId">The secret id in its metadata endpoint's path.</param>
/// <param name="DockerId">Its Docker id, once created.</param>
/// <param name="DockerName">Its Docker name.</param>
/// <param name="Image">The image as the definition names it.</param>
/// <param name="ContainerArn">Its ECS container ARN, if the control plane gave one.</param>
/// <param name="Status">What the agent knows of it.</param>
/// <param name="ExitCode">Its exit code, once stopped after running.</param>
/// <param name="Health">Its health check's latest result.</param>
/// <param name="HasHealthCheck">It has a health check.</param>
/// <param name="Cpu">Its CPU units (0 when the definition sets none).</param>
/// <param name="Memory">Its hard memory limit in MiB (0 when the definition sets none).</param>
/// <param name="LogDriver">The log driver of its logConfiguration.</param>
/// <param name="LogOptions">The options of its logConfiguration.</param>
/// <param name="Ports">Its port bindings (bridge: as Docker bound them).</param>
public sealed record ContainerSnapshot(
    string Name,
    string MetadataId,
    string? DockerId,
    string DockerName,
    string Image,
    string? ContainerArn,
    ContainerStatus Status,
    int? ExitCode,
    Health Health,
    bool HasHealthCheck,
    int Cpu,
    int Memory,
    string? LogDriver,
    IReadOnlyDictionary<string, string>? LogOptions,
    IReadOnlyList<PortSnapshot> Ports);

/// <summary>A port of a container: its container port, protocol and (bridge) the host port Docker bound.</summary>
/// <param name="ContainerPort">The container's port.</param>
/// <param name="Protocol">tcp or udp.</param>
/// <param name="HostPort">The host port.</param>
/// <param name="HostIp">The host address it is bound on.</param>
public sealed record PortSnapshot(int ContainerPort, string Protocol, int? HostPort, string? HostIp);

/// <summary>What Docker says of a container that the agent does not track itself (read when a request asks).</summary>
/// <param name="ImageId">The image's id (<c>sha256:…</c>).</param>
/// <param name="Labels">Its labels.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="StartedAt">When it last started.</param>
/// <param name="FinishedAt">When it last exited.</param>
/// <param name="IPv4Address">Its address on its network (bridge), if any.</param>
/// <param name="MacAddress">Its MAC address on that network.</param>
public sealed record ContainerDetails(
    string? ImageId,
    IReadOnlyDictionary<string, string>? Labels,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? IPv4Address,
    string? MacAddress)
{
    /// <summary>The details of an inspected container.</summary>
    public static ContainerDetails From(Berth.Docker.ContainerInspect inspect)
    {
        var network = inspect.NetworkSettings?.Networks?.Values.FirstOrDefault(n => !string.IsNullOrEmpty(n.IPAddress));
        return new ContainerDetails(
            inspect.Image,
            inspect.Config?.Labels,
            inspect.Created,
            inspect.State.StartedAt is { Year: > 1 } started ? started : null,
            inspect.State.FinishedAt is { Year: > 1 } finished ? finished : null,
            network?.IPAddress ?? NullIfEmpty(inspect.NetworkSettings?.IPAddress),
            NullIfEmpty(network?.MacAddress));
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}

/// <summary>The Docker network an awsvpc task's interface sits on, as the v4 endpoint describes the subnet.</summary>
/// <param name="SubnetCidr">The network's subnet (e.g. <c>172.17.0.0/16</c>).</param>
/// <param name="Gateway">Its gateway address.</param>
public sealed record SubnetInfo(string? SubnetCidr, string? Gateway);
