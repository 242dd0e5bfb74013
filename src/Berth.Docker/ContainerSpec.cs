using System.Text.Json.Serialization;

namespace Berth.Docker;

/// <summary>
/// The body of <c>POST /containers/create</c>: an ECS container definition expressed on Docker.
/// Property names are Docker's; null properties are omitted so the engine applies its defaults.
/// </summary>
public sealed record ContainerSpec
{
    public required string Image { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }

    /// <summary><c>NAME=value</c> entries.</summary>
    public IReadOnlyList<string>? Env { get; init; }

    public string? WorkingDir { get; init; }
    public string? User { get; init; }
    public string? Hostname { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>Ports as <c>80/tcp</c>, <c>53/udp</c>; written as Docker's <c>{"80/tcp": {}}</c> set.</summary>
    [JsonConverter(typeof(PortSetConverter))]
    public IReadOnlyList<string>? ExposedPorts { get; init; }

    public HealthcheckSpec? Healthcheck { get; init; }
    public string? StopSignal { get; init; }

    /// <summary>Seconds the engine waits after <see cref="StopSignal"/> before SIGKILL when no explicit timeout is given.</summary>
    public int? StopTimeout { get; init; }

    public HostConfig? HostConfig { get; init; }

    /// <summary>Per-network endpoint settings (aliases) applied at creation, keyed by network name.</summary>
    public NetworkingConfig? NetworkingConfig { get; init; }
}

/// <summary>Docker's <c>HostConfig</c>: resources, ports, network mode, mounts and security of a container.</summary>
public sealed record HostConfig
{
    /// <summary>Relative CPU weight (ECS <c>cpu</c> units map 1:1; Docker's minimum is 2).</summary>
    public long? CpuShares { get; init; }

    /// <summary>Hard memory limit in bytes.</summary>
    public long? Memory { get; init; }

    /// <summary>Soft memory limit in bytes.</summary>
    public long? MemoryReservation { get; init; }

    /// <summary>Memory + swap in bytes; set equal to <see cref="Memory"/> to forbid swap, -1 for unlimited swap.</summary>
    public long? MemorySwap { get; init; }

    /// <summary>CPU quota in units of 1e-9 CPUs.</summary>
    public long? NanoCpus { get; init; }

    /// <summary>Container port (<c>80/tcp</c>) to host bindings; a <c>HostPort</c> of "" or "0" asks for a dynamic port.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<PortBinding>>? PortBindings { get; init; }

    /// <summary><c>bridge</c>, <c>host</c>, <c>none</c>, <c>container:&lt;id&gt;</c> or a user-defined network name.</summary>
    public string? NetworkMode { get; init; }

    /// <summary><c>host-path:container-path[:ro]</c> or <c>volume:container-path[:ro]</c>.</summary>
    public IReadOnlyList<string>? Binds { get; init; }

    public IReadOnlyList<MountSpec>? Mounts { get; init; }

    /// <summary><c>container[:ro|:rw]</c>.</summary>
    public IReadOnlyList<string>? VolumesFrom { get; init; }

    public IReadOnlyList<Ulimit>? Ulimits { get; init; }
    public bool? ReadonlyRootfs { get; init; }
    public bool? Privileged { get; init; }

    /// <summary>Run the engine's init (tini) as PID 1.</summary>
    public bool? Init { get; init; }

    public IReadOnlyList<string>? CapAdd { get; init; }
    public IReadOnlyList<string>? CapDrop { get; init; }
    public IReadOnlyList<string>? SecurityOpt { get; init; }
    public LogConfig? LogConfig { get; init; }

    /// <summary><c>hostname:ip</c> entries for /etc/hosts.</summary>
    public IReadOnlyList<string>? ExtraHosts { get; init; }

    public IReadOnlyList<string>? Dns { get; init; }
    public IReadOnlyList<string>? DnsSearch { get; init; }
    public IReadOnlyList<string>? DnsOptions { get; init; }

    /// <summary>Container path to mount options (<c>size=64m,rw</c>).</summary>
    public IReadOnlyDictionary<string, string>? Tmpfs { get; init; }

    public IReadOnlyDictionary<string, string>? Sysctls { get; init; }

    /// <summary>Size of /dev/shm in bytes.</summary>
    public long? ShmSize { get; init; }

    /// <summary><c>host</c> or <c>container:&lt;id&gt;</c> (ECS <c>pidMode</c>).</summary>
    public string? PidMode { get; init; }

    /// <summary><c>host</c>, <c>shareable</c>, <c>none</c> or <c>container:&lt;id&gt;</c> (ECS <c>ipcMode</c>).</summary>
    public string? IpcMode { get; init; }

    /// <summary>The cgroup the container's cgroup is created under (with the cgroupfs driver, a path such as <c>/berth/TASKID</c>).</summary>
    public string? CgroupParent { get; init; }
}

/// <summary>One host binding of a container port.</summary>
public sealed record PortBinding
{
    /// <summary>Host interface; "" or null for all interfaces.</summary>
    public string? HostIp { get; init; }

    /// <summary>Host port as a string; "" or "0" for a dynamic port (the assigned one shows in inspect).</summary>
    public string? HostPort { get; init; }
}

/// <summary>A mount in <see cref="HostConfig.Mounts"/>.</summary>
public sealed record MountSpec
{
    /// <summary><c>volume</c>, <c>bind</c> or <c>tmpfs</c>.</summary>
    public required string Type { get; init; }

    /// <summary>Volume name or host path.</summary>
    public string? Source { get; init; }

    public required string Target { get; init; }
    public bool? ReadOnly { get; init; }
    public VolumeOptions? VolumeOptions { get; init; }
}

/// <summary>Options of a <c>volume</c> mount.</summary>
public sealed record VolumeOptions
{
    /// <summary>Do not copy the image's content at the target into a new volume.</summary>
    public bool? NoCopy { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public VolumeDriverConfig? DriverConfig { get; init; }
}

/// <summary>The driver of a volume created on demand by a mount.</summary>
public sealed record VolumeDriverConfig
{
    public string? Name { get; init; }
    public IReadOnlyDictionary<string, string>? Options { get; init; }
}

/// <summary>A resource limit (<c>nofile</c>, <c>nproc</c>...).</summary>
public sealed record Ulimit(string Name, long Soft, long Hard);

/// <summary>A log driver and its options.</summary>
public sealed record LogConfig
{
    public required string Type { get; init; }
    public IReadOnlyDictionary<string, string>? Config { get; init; }
}

/// <summary>A container health check; durations are in nanoseconds as Docker expects.</summary>
public sealed record HealthcheckSpec
{
    /// <summary><c>["CMD", ...]</c>, <c>["CMD-SHELL", "..."]</c> or <c>["NONE"]</c>.</summary>
    public IReadOnlyList<string>? Test { get; init; }

    public long? Interval { get; init; }
    public long? Timeout { get; init; }
    public int? Retries { get; init; }
    public long? StartPeriod { get; init; }

    /// <summary>Converts a duration to the nanoseconds used by the healthcheck fields.</summary>
    public static long Nanoseconds(TimeSpan duration) => duration.Ticks * 100;
}

/// <summary>The <c>NetworkingConfig</c> of a create call.</summary>
public sealed record NetworkingConfig
{
    public IReadOnlyDictionary<string, EndpointConfig>? EndpointsConfig { get; init; }
}

/// <summary>Settings of a container's endpoint on one network.</summary>
public sealed record EndpointConfig
{
    public IReadOnlyList<string>? Aliases { get; init; }
}
