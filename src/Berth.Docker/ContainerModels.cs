using System.Text.Json.Serialization;

namespace Berth.Docker;

/// <summary>The fields of <c>GET /containers/{id}/json</c> that Berth uses.</summary>
public sealed record ContainerInspect
{
    public required string Id { get; init; }

    /// <summary>The name with Docker's leading slash (<c>/berth-web</c>).</summary>
    public string? Name { get; init; }

    [JsonConverter(typeof(DockerTimeConverter))]
    public DateTimeOffset? Created { get; init; }

    /// <summary>The image id (<c>sha256:...</c>).</summary>
    public string? Image { get; init; }

    public ContainerState State { get; init; } = new();
    public ContainerConfig? Config { get; init; }
    public HostConfig? HostConfig { get; init; }
    public NetworkSettings? NetworkSettings { get; init; }

    /// <summary>The json-file (or local) driver's file on the engine's host, when the driver keeps one.</summary>
    public string? LogPath { get; init; }
}

/// <summary>A container's runtime state.</summary>
public sealed record ContainerState
{
    /// <summary><c>created</c>, <c>running</c>, <c>paused</c>, <c>restarting</c>, <c>removing</c>, <c>exited</c> or <c>dead</c>.</summary>
    public string? Status { get; init; }

    public bool Running { get; init; }
    public bool Paused { get; init; }
    public bool Restarting { get; init; }
    public bool OOMKilled { get; init; }
    public bool Dead { get; init; }
    public int Pid { get; init; }
    public int ExitCode { get; init; }

    /// <summary>Why the engine could not run the container (e.g. the entrypoint does not exist); empty otherwise.</summary>
    public string? Error { get; init; }

    /// <summary>Null until started (Docker reports <c>0001-01-01T00:00:00Z</c>).</summary>
    [JsonConverter(typeof(DockerTimeConverter))]
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Null until finished.</summary>
    [JsonConverter(typeof(DockerTimeConverter))]
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Null when the container has no health check.</summary>
    public ContainerHealth? Health { get; init; }
}

/// <summary>Health check state.</summary>
public sealed record ContainerHealth
{
    /// <summary><c>starting</c>, <c>healthy</c> or <c>unhealthy</c>.</summary>
    public string? Status { get; init; }

    public int FailingStreak { get; init; }
    public IReadOnlyList<HealthLogEntry>? Log { get; init; }
}

/// <summary>One health check probe.</summary>
public sealed record HealthLogEntry
{
    [JsonConverter(typeof(DockerTimeConverter))]
    public DateTimeOffset? Start { get; init; }

    [JsonConverter(typeof(DockerTimeConverter))]
    public DateTimeOffset? End { get; init; }

    public int ExitCode { get; init; }
    public string? Output { get; init; }
}

/// <summary>The creation-time configuration reported by inspect.</summary>
public sealed record ContainerConfig
{
    public string? Image { get; init; }
    public string? Hostname { get; init; }
    public string? User { get; init; }
    public string? WorkingDir { get; init; }
    public IReadOnlyList<string>? Env { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    [JsonConverter(typeof(PortSetConverter))]
    public IReadOnlyList<string>? ExposedPorts { get; init; }

    public HealthcheckSpec? Healthcheck { get; init; }
    public string? StopSignal { get; init; }
}

/// <summary>Published ports and per-network addresses.</summary>
public sealed record NetworkSettings
{
    /// <summary>Container port (<c>80/tcp</c>) to the actual host bindings; null value when exposed but not published.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<PortBinding>?>? Ports { get; init; }

    /// <summary>The address on the default bridge (empty otherwise).</summary>
    public string? IPAddress { get; init; }

    /// <summary>Endpoints keyed by network name.</summary>
    public IReadOnlyDictionary<string, EndpointSettings>? Networks { get; init; }

    /// <summary>The host port bound to <paramref name="containerPort"/>, preferring an IPv4 binding; null when not published.</summary>
    public int? HostPort(int containerPort, string protocol = "tcp")
    {
        if (Ports is null || !Ports.TryGetValue($"{containerPort}/{protocol}", out var bindings) || bindings is null)
            return null;
        var binding = bindings.FirstOrDefault(b => b.HostIp is null || !b.HostIp.Contains(':')) ?? bindings.FirstOrDefault();
        return int.TryParse(binding?.HostPort, out var port) ? port : null;
    }
}

/// <summary>A container's endpoint on one network.</summary>
public sealed record EndpointSettings
{
    public string? NetworkID { get; init; }
    public string? EndpointID { get; init; }
    public string? Gateway { get; init; }
    public string? IPAddress { get; init; }
    public int IPPrefixLen { get; init; }
    public string? MacAddress { get; init; }
    public IReadOnlyList<string>? Aliases { get; init; }
}

/// <summary>One entry of <c>GET /containers/json</c>.</summary>
public sealed record ContainerSummary
{
    public required string Id { get; init; }

    /// <summary>Names with Docker's leading slash.</summary>
    public IReadOnlyList<string>? Names { get; init; }

    public string? Image { get; init; }
    public string? ImageID { get; init; }

    /// <summary>Unix seconds.</summary>
    public long Created { get; init; }

    /// <summary><c>created</c>, <c>running</c>, <c>exited</c>...</summary>
    public string? State { get; init; }

    /// <summary>Human-readable status (<c>Exited (3) 2 seconds ago</c>).</summary>
    public string? Status { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>Which output stream a log line came from (the first byte of a multiplexed frame header).</summary>
public enum LogStream
{
    Stdin = 0,
    Stdout = 1,
    Stderr = 2,
}

/// <summary>One line of container output, without its newline.</summary>
public sealed record LogLine(LogStream Stream, string Text);

/// <summary>One line of container output with the time Docker received it, in nanoseconds since the Unix epoch.</summary>
public sealed record TimedLogLine(LogStream Stream, long UnixNanos, string Text);

/// <summary>A one-shot resource sample of a running container.</summary>
public sealed record ContainerStats
{
    public DateTimeOffset? Read { get; init; }

    /// <summary>Memory charged to the container in bytes (cgroup usage, page cache included).</summary>
    public long MemoryUsage { get; init; }

    /// <summary>Peak memory usage in bytes (cgroup v1 only).</summary>
    public long MemoryMaxUsage { get; init; }

    /// <summary>The effective memory limit in bytes (the host's memory when unlimited).</summary>
    public long MemoryLimit { get; init; }

    /// <summary>Page cache in bytes (cgroup v1 <c>cache</c> / v2 <c>file</c>), which ECS subtracts from usage.</summary>
    public long MemoryCache { get; init; }

    /// <summary>Cumulative CPU time of the container in nanoseconds.</summary>
    public long CpuTotalUsage { get; init; }

    /// <summary>Cumulative host CPU time in nanoseconds (for percentage computation between two samples).</summary>
    public long SystemCpuUsage { get; init; }

    public int OnlineCpus { get; init; }
    public long PidsCurrent { get; init; }
}

internal sealed record CreateContainerResponse(string Id, IReadOnlyList<string>? Warnings);

internal sealed record WaitContainerResponse(long StatusCode, WaitError? Error);

internal sealed record WaitError(string? Message);

internal sealed record StatsWire
{
    [JsonPropertyName("read")]
    [JsonConverter(typeof(DockerTimeConverter))]
    public DateTimeOffset? Read { get; init; }

    [JsonPropertyName("memory_stats")]
    public MemoryStatsWire? MemoryStats { get; init; }

    [JsonPropertyName("cpu_stats")]
    public CpuStatsWire? CpuStats { get; init; }

    [JsonPropertyName("pids_stats")]
    public PidsStatsWire? PidsStats { get; init; }
}

internal sealed record MemoryStatsWire
{
    [JsonPropertyName("usage")]
    public long Usage { get; init; }

    [JsonPropertyName("max_usage")]
    public long MaxUsage { get; init; }

    [JsonPropertyName("limit")]
    public long Limit { get; init; }

    [JsonPropertyName("stats")]
    public Dictionary<string, ulong>? Stats { get; init; }
}

internal sealed record CpuStatsWire
{
    [JsonPropertyName("cpu_usage")]
    public CpuUsageWire? CpuUsage { get; init; }

    [JsonPropertyName("system_cpu_usage")]
    public long SystemCpuUsage { get; init; }

    [JsonPropertyName("online_cpus")]
    public int OnlineCpus { get; init; }
}

internal sealed record CpuUsageWire
{
    [JsonPropertyName("total_usage")]
    public long TotalUsage { get; init; }
}

internal sealed record PidsStatsWire
{
    [JsonPropertyName("current")]
    public long Current { get; init; }
}
