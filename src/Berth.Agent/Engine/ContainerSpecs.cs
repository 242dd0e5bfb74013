using System.Globalization;
using Berth.Docker;
using Berth.Ecs.Model;

namespace Berth.Agent.Engine;

/// <summary>Everything about the task a container's Docker spec depends on besides its own definition.</summary>
/// <param name="ClusterArn">The task's cluster.</param>
/// <param name="TaskArn">The task.</param>
/// <param name="ContainerInstanceArn">The instance running it; containers are labelled with it so an agent finds its own.</param>
/// <param name="Definition">The task definition.</param>
/// <param name="Overrides">RunTask's overrides, if any.</param>
/// <param name="PauseContainerId">The awsvpc task's namespace holder.</param>
/// <param name="ContainerIds">Docker ids of containers already created (for volumesFrom).</param>
/// <param name="HostIp">Where static and dynamic host ports are bound (127.0.0.1 unless the agent is told otherwise).</param>
/// <param name="CgroupParent">The task's cgroup holding its task-level limits, when the host supports one.</param>
/// <param name="Metadata">Where the agent serves the task metadata endpoint, if it does.</param>
/// <param name="MetadataIds">Each container's secret id in its metadata endpoint path, by container name.</param>
public sealed record TaskSpecContext(
    string ClusterArn,
    string TaskArn,
    string ContainerInstanceArn,
    TaskDefinition Definition,
    TaskOverride? Overrides,
    string? PauseContainerId,
    IReadOnlyDictionary<string, string> ContainerIds,
    string HostIp = "127.0.0.1",
    string? CgroupParent = null,
    Metadata.MetadataEndpoint? Metadata = null,
    IReadOnlyDictionary<string, string>? MetadataIds = null);

/// <summary>
/// Expresses an ECS container definition on Docker, as a pure function, with the labels the ECS agent sets
/// so tools that know ECS's containers recognise Berth's.
/// </summary>
public static class ContainerSpecs
{
    /// <summary>Label with the task ARN.</summary>
    public const string TaskArnLabel = "com.amazonaws.ecs.task-arn";

    /// <summary>Label with the container's name in the task definition.</summary>
    public const string ContainerNameLabel = "com.amazonaws.ecs.container-name";

    /// <summary>Label with the cluster ARN.</summary>
    public const string ClusterLabel = "com.amazonaws.ecs.cluster";

    /// <summary>Label with the task definition family.</summary>
    public const string FamilyLabel = "com.amazonaws.ecs.task-definition-family";

    /// <summary>Label with the task definition revision.</summary>
    public const string VersionLabel = "com.amazonaws.ecs.task-definition-version";

    /// <summary>Berth's own label: which container instance owns the container.</summary>
    public const string InstanceLabel = "berth.container-instance";

    /// <summary>Berth's label on the awsvpc pause container.</summary>
    public const string PauseLabel = "berth.pause";

    /// <summary>Seconds between SIGTERM and SIGKILL when the definition sets no stopTimeout (the ECS agent's default).</summary>
    public const int DefaultStopTimeoutSeconds = 30;

    private const long MiB = 1024 * 1024;

    /// <summary>The Docker name of a container: unique per task and container.</summary>
    public static string DockerName(TaskSpecContext task, string container)
        => $"ecs-{task.Definition.Family}-{task.Definition.Revision}-{Sanitize(container)}-{TaskId(task.TaskArn)}";

    /// <summary>The Docker name of an awsvpc task's pause container.</summary>
    public static string PauseName(TaskSpecContext task) => $"ecs-{task.Definition.Family}-{task.Definition.Revision}-internalecspause-{TaskId(task.TaskArn)}";

    /// <summary>The last path segment of a task ARN.</summary>
    public static string TaskId(string taskArn) => taskArn[(taskArn.LastIndexOf('/') + 1)..];

    /// <summary>Labels every container of the task carries.</summary>
    public static Dictionary<string, string> Labels(TaskSpecContext task, string container) => new(StringComparer.Ordinal)
    {
        [TaskArnLabel] = task.TaskArn,
        [ContainerNameLabel] = container,
        [ClusterLabel] = task.ClusterArn,
        [FamilyLabel] = task.Definition.Family ?? string.Empty,
        [VersionLabel] = (task.Definition.Revision ?? 0).ToString(CultureInfo.InvariantCulture),
        [InstanceLabel] = task.ContainerInstanceArn,
    };

    /// <summary>The Docker spec of the awsvpc pause container, which holds the task's network namespace.</summary>
    public static ContainerSpec Pause(TaskSpecContext task, string image)
    {
        var labels = Labels(task, "~internal~ecs~pause");
        labels[PauseLabel] = "true";
        return new ContainerSpec
        {
            Image = image,
            Labels = labels,
            HostConfig = new HostConfig { NetworkMode = "bridge", Memory = 16 * MiB, MemorySwap = 16 * MiB },
        };
    }

    /// <summary>The Docker spec of container <paramref name="definition"/> of the task.</summary>
    public static ContainerSpec For(TaskSpecContext task, ContainerDefinition definition)
    {
        var name = definition.Name!;
        var overrides = task.Overrides?.ContainerOverrides?.FirstOrDefault(o => o.Name == name);
        var networkMode = task.Definition.NetworkMode ?? "bridge";
        var labels = Labels(task, name);
        foreach (var (key, value) in definition.DockerLabels ?? [])
        {
            labels.TryAdd(key, value);
        }

        var memoryMiB = overrides?.Memory ?? definition.Memory;
        var reservationMiB = overrides?.MemoryReservation ?? definition.MemoryReservation;
        var taskMemoryMiB = ParseInt(task.Overrides?.Memory ?? task.Definition.Memory);
        if (memoryMiB is null && taskMemoryMiB is not null && task.CgroupParent is null)
        {
            // Without a task cgroup (which holds the shared limit) each container is capped at the task's memory.
            memoryMiB = taskMemoryMiB;
        }

        var swapMiB = definition.LinuxParameters?.MaxSwap is { } maxSwap && memoryMiB is not null ? memoryMiB + maxSwap : memoryMiB;
        var cpu = overrides?.Cpu ?? definition.Cpu ?? 0;
        var taskCpu = ParseInt(task.Overrides?.Cpu ?? task.Definition.Cpu);
        var linux = definition.LinuxParameters;
        return new ContainerSpec
        {
            Image = definition.Image!,
            Cmd = overrides?.Command ?? definition.Command,
            Entrypoint = definition.EntryPoint,
            Env = Environment(definition.Environment, overrides?.Environment, MetadataEnvironment(task, name)),
            WorkingDir = definition.WorkingDirectory,
            User = definition.User,
            Hostname = networkMode is "bridge" ? definition.Hostname : null,
            Labels = labels,
            // Docker refuses exposed ports on a container that joins another's network namespace (awsvpc).
            ExposedPorts = networkMode is "bridge" or "host"
                ? definition.PortMappings?.Where(p => p.ContainerPort is not null).Select(PortKey).Distinct().ToList()
                : null,
            Healthcheck = definition.HealthCheck is { Command: { Count: > 0 } command } health
                ? new HealthcheckSpec
                {
                    Test = command,
                    Interval = Seconds(health.Interval ?? 30),
                    Timeout = Seconds(health.Timeout ?? 5),
                    Retries = health.Retries ?? 3,
                    StartPeriod = Seconds(health.StartPeriod ?? 0),
                }
                : null,
            StopTimeout = definition.StopTimeout ?? DefaultStopTimeoutSeconds,
            HostConfig = new HostConfig
            {
                // The kernel's minimum share is 2; ECS gives 0 (no reservation) the minimum as well.
                CpuShares = Math.Max(2, cpu),
                NanoCpus = taskCpu is > 0 && task.CgroupParent is null ? taskCpu.Value * 1_000_000_000L / 1024 : null,
                CgroupParent = task.CgroupParent,
                Memory = memoryMiB * MiB,
                MemorySwap = swapMiB * MiB,
                MemoryReservation = reservationMiB * MiB,
                PortBindings = networkMode == "bridge" ? Bindings(definition.PortMappings, task.HostIp) : null,
                NetworkMode = networkMode switch
                {
                    "awsvpc" => "container:" + task.PauseContainerId,
                    _ => networkMode,
                },
                Binds = Binds(task, definition),
                Mounts = Mounts(task, definition),
                VolumesFrom = definition.VolumesFrom?.Where(v => v.SourceContainer is not null && task.ContainerIds.ContainsKey(v.SourceContainer))
                    .Select(v => task.ContainerIds[v.SourceContainer!] + (v.ReadOnly == true ? ":ro" : string.Empty)).ToList(),
                Ulimits = definition.Ulimits?.Select(u => new Docker.Ulimit(u.Name!, u.SoftLimit ?? 0, u.HardLimit ?? 0)).ToList(),
                ReadonlyRootfs = definition.ReadonlyRootFilesystem,
                Privileged = definition.Privileged,
                Init = linux?.InitProcessEnabled,
                CapAdd = linux?.Capabilities?.Add,
                CapDrop = linux?.Capabilities?.Drop,
                ShmSize = linux?.SharedMemorySize * MiB,
                Tmpfs = linux?.Tmpfs?.Where(t => t.ContainerPath is not null).ToDictionary(
                    t => t.ContainerPath!,
                    t => string.Join(',', new[] { $"size={t.Size}m" }.Concat(t.MountOptions ?? []))),
                Sysctls = definition.SystemControls?.Where(s => s.Namespace is not null).ToDictionary(s => s.Namespace!, s => s.Value ?? string.Empty),
                ExtraHosts = definition.ExtraHosts?.Select(h => $"{h.Hostname}:{h.IpAddress}").ToList(),
                Dns = definition.DnsServers,
                DnsSearch = definition.DnsSearchDomains,
                SecurityOpt = definition.DockerSecurityOptions,
                LogConfig = definition.LogConfiguration?.LogDriver is "json-file" or "none" or "local" or "syslog" or "journald"
                    ? new LogConfig { Type = definition.LogConfiguration.LogDriver!, Config = definition.LogConfiguration.Options }
                    : Logs.AwsLogsConfig.Of(definition)?.DockerLogConfig(), // awslogs: the agent ships what json-file keeps
                PidMode = task.Definition.PidMode == "host" ? "host" : null,
                IpcMode = task.Definition.IpcMode switch { "host" => "host", "none" => "none", _ => null },
            },
        };
    }

    /// <summary>The network bindings ECS reports for a container, from Docker's published ports.</summary>
    public static List<NetworkBinding> NetworkBindings(IReadOnlyDictionary<string, IReadOnlyList<PortBinding>?>? ports)
    {
        var bindings = new List<NetworkBinding>();
        foreach (var (key, published) in ports ?? new Dictionary<string, IReadOnlyList<PortBinding>?>())
        {
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            if (published is null || !int.TryParse(slash < 0 ? key : key[..slash], CultureInfo.InvariantCulture, out var containerPort))
            {
                continue;
            }

            foreach (var binding in published)
            {
                if (int.TryParse(binding.HostPort, CultureInfo.InvariantCulture, out var hostPort) && !(binding.HostIp ?? string.Empty).Contains(':', StringComparison.Ordinal))
                {
                    bindings.Add(new NetworkBinding
                    {
                        BindIP = string.IsNullOrEmpty(binding.HostIp) ? "0.0.0.0" : binding.HostIp,
                        ContainerPort = containerPort,
                        HostPort = hostPort,
                        Protocol = slash < 0 ? "tcp" : key[(slash + 1)..],
                    });
                }
            }
        }

        return bindings;
    }

    /// <summary>The task metadata endpoint variables ECS sets in every container (v4 and v3), when the agent serves it.</summary>
    public static Dictionary<string, string>? MetadataEnvironment(TaskSpecContext task, string container)
    {
        if (task.Metadata?.BaseFor(task.Definition.NetworkMode) is not { } endpoint || task.MetadataIds?.GetValueOrDefault(container) is not { } id)
        {
            return null;
        }

        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ECS_CONTAINER_METADATA_URI_V4"] = $"{endpoint}/v4/{id}",
            ["ECS_CONTAINER_METADATA_URI"] = $"{endpoint}/v3/{id}",
        };
    }

    private static List<string>? Environment(List<Ecs.Model.KeyValuePair>? environment, List<Ecs.Model.KeyValuePair>? overrides, Dictionary<string, string>? agent)
    {
        if (environment is null && overrides is null && agent is null)
        {
            return null;
        }

        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in (environment ?? []).Concat(overrides ?? []))
        {
            if (variable.Name is not null)
            {
                merged[variable.Name] = variable.Value ?? string.Empty;
            }
        }

        // The agent's own variables win, as ECS's do: they point at the endpoint that answers for this container.
        foreach (var (name, value) in agent ?? [])
        {
            merged[name] = value;
        }

        return [.. merged.Select(v => $"{v.Key}={v.Value}")];
    }

    private static string PortKey(PortMapping mapping) => $"{mapping.ContainerPort}/{mapping.Protocol ?? "tcp"}";

    private static Dictionary<string, IReadOnlyList<PortBinding>>? Bindings(List<PortMapping>? mappings, string hostIp)
    {
        if (mappings is null || mappings.Count == 0)
        {
            return null;
        }

        var bindings = new Dictionary<string, IReadOnlyList<PortBinding>>(StringComparer.Ordinal);
        foreach (var mapping in mappings.Where(m => m.ContainerPort is not null))
        {
            // An absent or zero host port is a dynamic one: Docker picks it from the ephemeral range.
            bindings[PortKey(mapping)] = [new PortBinding { HostIp = hostIp, HostPort = mapping.HostPort is > 0 ? mapping.HostPort.Value.ToString(CultureInfo.InvariantCulture) : string.Empty }];
        }

        return bindings;
    }

    private static List<string>? Binds(TaskSpecContext task, ContainerDefinition definition)
    {
        var binds = new List<string>();
        foreach (var mount in definition.MountPoints ?? [])
        {
            var volume = task.Definition.Volumes?.FirstOrDefault(v => v.Name == mount.SourceVolume);
            if (volume?.Host?.SourcePath is { Length: > 0 } source)
            {
                binds.Add($"{source}:{mount.ContainerPath}{(mount.ReadOnly == true ? ":ro" : string.Empty)}");
            }
        }

        return binds.Count == 0 ? null : binds;
    }

    private static List<MountSpec>? Mounts(TaskSpecContext task, ContainerDefinition definition)
    {
        var mounts = new List<MountSpec>();
        foreach (var mount in definition.MountPoints ?? [])
        {
            var volume = task.Definition.Volumes?.FirstOrDefault(v => v.Name == mount.SourceVolume);
            if (volume is null || volume.Host?.SourcePath is { Length: > 0 })
            {
                continue;
            }

            mounts.Add(new MountSpec
            {
                Type = "volume",
                Source = VolumeName(task, volume),
                Target = mount.ContainerPath!,
                ReadOnly = mount.ReadOnly,
            });
        }

        return mounts.Count == 0 ? null : mounts;
    }

    /// <summary>The Docker volume behind a task volume: per task unless its scope is <c>shared</c>.</summary>
    public static string VolumeName(TaskSpecContext task, Volume volume)
        => volume.DockerVolumeConfiguration?.Scope == "shared" ? volume.Name! : $"ecs-{TaskId(task.TaskArn)}-{Sanitize(volume.Name!)}";

    private static long Seconds(int seconds) => HealthcheckSpec.Nanoseconds(TimeSpan.FromSeconds(seconds));

    /// <summary>The task's cpu (units) and memory (MiB) limits, overrides first.</summary>
    public static (int? Cpu, int? Memory) TaskLimits(TaskSpecContext task)
        => (ParseInt(task.Overrides?.Cpu ?? task.Definition.Cpu), ParseInt(task.Overrides?.Memory ?? task.Definition.Memory));

    private static int? ParseInt(string? text) => int.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string Sanitize(string name) => new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '-')]);
}
