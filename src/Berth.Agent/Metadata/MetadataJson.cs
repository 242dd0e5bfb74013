using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Agent.Engine;
using TaskStatus = Berth.Agent.Engine.TaskStatus;

namespace Berth.Agent.Metadata;

/// <summary>Which version of the task metadata endpoint a request came in on: v4 adds the network interface's detail.</summary>
public enum MetadataVersion
{
    /// <summary><c>ECS_CONTAINER_METADATA_URI</c>.</summary>
    V3,

    /// <summary><c>ECS_CONTAINER_METADATA_URI_V4</c>.</summary>
    V4,
}

/// <summary>
/// The JSON the ECS agent serves, built from the agent's <see cref="TaskSnapshot"/> and what Docker says of the
/// containers: the task metadata endpoint (v3/v4: <c>${URI}</c>, <c>${URI}/task</c>, <c>${URI}/task/stats</c>) and the
/// introspection API (<c>/v1/metadata</c>, <c>/v1/tasks</c>). Field names and shapes are the ECS agent's; pure.
/// </summary>
public static class MetadataJson
{
    /// <summary>The container's own response (<c>${URI}</c>).</summary>
    public static JsonObject Container(TaskSnapshot task, ContainerSnapshot container, ContainerDetails? details, ContainerDetails? pause, SubnetInfo? subnet, MetadataVersion version)
    {
        var json = new JsonObject
        {
            ["DockerId"] = container.DockerId ?? string.Empty,
            ["Name"] = container.Name,
            ["DockerName"] = container.DockerName,
            ["Image"] = container.Image,
            ["ImageID"] = details?.ImageId ?? string.Empty,
        };
        var ports = Ports(task, container);
        if (ports is not null)
        {
            json["Ports"] = ports;
        }

        if (details?.Labels is { Count: > 0 } labels)
        {
            json["Labels"] = new JsonObject(labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        }

        json["DesiredStatus"] = task.DesiredRunning ? "RUNNING" : "STOPPED";
        json["KnownStatus"] = ContainerStatusName(container.Status);
        if (container.Status == ContainerStatus.Stopped && container.ExitCode is { } exitCode)
        {
            json["ExitCode"] = exitCode;
        }

        json["Limits"] = new JsonObject { ["CPU"] = (double)container.Cpu, ["Memory"] = container.Memory };
        AddTime(json, "CreatedAt", details?.CreatedAt);
        AddTime(json, "StartedAt", details?.StartedAt);
        if (container.Status == ContainerStatus.Stopped)
        {
            AddTime(json, "FinishedAt", details?.FinishedAt);
        }

        json["Type"] = "NORMAL";
        if (Networks(task, details, pause, subnet, version) is { } networks)
        {
            json["Networks"] = networks;
        }

        if (container.HasHealthCheck)
        {
            json["Health"] = new JsonObject { ["status"] = container.Health switch { Health.Healthy => "HEALTHY", Health.Unhealthy => "UNHEALTHY", _ => "UNKNOWN" } };
        }

        if (container.ContainerArn is not null)
        {
            json["ContainerARN"] = container.ContainerArn;
        }

        if (container.LogDriver is not null)
        {
            json["LogDriver"] = container.LogDriver;
            if (container.LogOptions is { Count: > 0 } options)
            {
                json["LogOptions"] = new JsonObject(options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => KeyValuePair.Create(o.Key, (JsonNode?)o.Value)));
            }
        }

        return json;
    }

    /// <summary>The task's response (<c>${URI}/task</c>): the task and every container of it.</summary>
    public static JsonObject Task(TaskSnapshot task, IReadOnlyDictionary<string, ContainerDetails> details, ContainerDetails? pause, SubnetInfo? subnet, MetadataVersion version)
    {
        var json = new JsonObject
        {
            ["Cluster"] = task.ClusterArn,
            ["TaskARN"] = task.TaskArn,
            ["Family"] = task.Family,
            ["Revision"] = task.Revision.ToString(CultureInfo.InvariantCulture),
            ["DesiredStatus"] = task.DesiredRunning ? "RUNNING" : "STOPPED",
            ["KnownStatus"] = Wire(task.Known),
            ["Containers"] = new JsonArray([.. task.Containers.Select(c => (JsonNode)Container(task, c, details.GetValueOrDefault(c.Name), pause, subnet, version))]),
        };
        if (task.Cpu is not null || task.Memory is not null)
        {
            // ECS gives the task's CPU in vCPUs (units / 1024), its memory in MiB.
            var limits = new JsonObject();
            if (task.Cpu is { } cpu)
            {
                limits["CPU"] = cpu / 1024.0;
            }

            if (task.Memory is { } memory)
            {
                limits["Memory"] = memory;
            }

            json["Limits"] = limits;
        }

        AddTime(json, "PullStartedAt", task.PullStartedAt);
        AddTime(json, "PullStoppedAt", task.PullStoppedAt);
        if (task.AvailabilityZone is not null)
        {
            json["AvailabilityZone"] = task.AvailabilityZone;
        }

        if (task.LaunchType is not null)
        {
            json["LaunchType"] = task.LaunchType;
        }

        return json;
    }

    /// <summary>
    /// <c>${URI}/task/stats</c>: each started container's Docker stats by Docker id (null when Docker had none for it).
    /// </summary>
    public static JsonObject TaskStats(IReadOnlyDictionary<string, JsonNode?> statsById)
        => new(statsById.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => KeyValuePair.Create(s.Key, s.Value)));

    /// <summary>The introspection API's <c>/v1/metadata</c>.</summary>
    public static JsonObject AgentMetadata(string cluster, string? containerInstanceArn, string version) => new()
    {
        ["Cluster"] = cluster,
        ["ContainerInstanceArn"] = containerInstanceArn,
        ["Version"] = version,
    };

    /// <summary>The introspection API's <c>/v1/tasks</c>.</summary>
    public static JsonObject IntrospectionTasks(IEnumerable<TaskSnapshot> tasks)
        => new() { ["Tasks"] = new JsonArray([.. tasks.OrderBy(t => t.TaskArn, StringComparer.Ordinal).Select(t => (JsonNode)IntrospectionTask(t))]) };

    /// <summary>One task as the introspection API shows it (<c>/v1/tasks?taskarn=</c>): backend statuses, as ECS's v1 does.</summary>
    public static JsonObject IntrospectionTask(TaskSnapshot task)
    {
        var known = Backend(task.Known);
        var desired = task.DesiredRunning ? "RUNNING" : "STOPPED";
        var json = new JsonObject { ["Arn"] = task.TaskArn };

        // ECS leaves the desired status out where it would contradict the known one (a stopped task still desired running).
        if (!(known == "STOPPED" && desired != "STOPPED"))
        {
            json["DesiredStatus"] = desired;
        }

        json["KnownStatus"] = known;
        json["Family"] = task.Family;
        json["Version"] = task.Revision.ToString(CultureInfo.InvariantCulture);
        json["Containers"] = new JsonArray([.. task.Containers.Select(c =>
        {
            var container = new JsonObject { ["DockerId"] = c.DockerId ?? string.Empty, ["DockerName"] = c.DockerName, ["Name"] = c.Name };
            if (Ports(task, c) is { } ports)
            {
                container["Ports"] = ports;
            }

            if (task.NetworkMode == "awsvpc" && task.TaskAddress is not null)
            {
                container["Networks"] = new JsonArray(new JsonObject { ["NetworkMode"] = "awsvpc", ["IPv4Addresses"] = new JsonArray(task.TaskAddress) });
            }

            return (JsonNode)container;
        })]);
        return json;
    }

    /// <summary>
    /// The task a Docker id belongs to: a full id, or a unique prefix of one (ECS takes the 12-character short id).
    /// Null when no task has it, or when the prefix matches more than one container.
    /// </summary>
    public static TaskSnapshot? ByDockerId(IEnumerable<TaskSnapshot> tasks, string dockerId)
    {
        if (dockerId.Length == 0)
        {
            return null;
        }

        var matches = tasks.SelectMany(t => t.Containers.Where(c => c.DockerId is not null && c.DockerId.StartsWith(dockerId, StringComparison.Ordinal)).Select(_ => t)).ToList();
        return matches.Count == 1 ? matches[0] : null;
    }

    /// <summary>The container status names of the ECS agent.</summary>
    public static string ContainerStatusName(ContainerStatus status) => status switch
    {
        ContainerStatus.Pulled => "PULLED",
        ContainerStatus.Created => "CREATED",
        ContainerStatus.Running => "RUNNING",
        ContainerStatus.Stopped => "STOPPED",
        _ => "NONE",
    };

    /// <summary>The status as reported to (and shown by) the control plane.</summary>
    public static string Wire(TaskStatus status) => status.ToString().ToUpperInvariant();

    /// <summary>The three statuses the v1 API shows (PENDING until running, RUNNING until stopped).</summary>
    public static string Backend(TaskStatus status) => status switch
    {
        TaskStatus.Provisioning or TaskStatus.Pending or TaskStatus.Activating => "PENDING",
        TaskStatus.Stopped => "STOPPED",
        _ => "RUNNING",
    };

    // awsvpc ports are the container's own (no host mapping); bridge ports are what Docker bound.
    private static JsonArray? Ports(TaskSnapshot task, ContainerSnapshot container)
    {
        if (container.Ports.Count == 0)
        {
            return null;
        }

        return new JsonArray([.. container.Ports.Select(p =>
        {
            var port = new JsonObject { ["ContainerPort"] = p.ContainerPort, ["Protocol"] = p.Protocol };
            var hostPort = task.NetworkMode is "awsvpc" or "host" ? p.ContainerPort : p.HostPort;
            if (hostPort is { } bound)
            {
                port["HostPort"] = bound;
            }

            if (task.NetworkMode == "bridge" && p.HostIp is not null)
            {
                port["HostIp"] = p.HostIp;
            }

            return (JsonNode)port;
        })]);
    }

    private static JsonArray? Networks(TaskSnapshot task, ContainerDetails? details, ContainerDetails? pause, SubnetInfo? subnet, MetadataVersion version)
    {
        switch (task.NetworkMode)
        {
            case "awsvpc":
                var address = task.TaskAddress ?? pause?.IPv4Address;
                if (address is null)
                {
                    return null;
                }

                var network = new JsonObject { ["NetworkMode"] = "awsvpc", ["IPv4Addresses"] = new JsonArray(address) };
                if (version == MetadataVersion.V4)
                {
                    // The task's interface is its pause container's endpoint on the Docker network; the subnet is that network's.
                    network["AttachmentIndex"] = 0;
                    if (pause?.MacAddress is { } mac)
                    {
                        network["MACAddress"] = mac;
                    }

                    if (subnet?.SubnetCidr is { } cidr)
                    {
                        network["IPv4SubnetCIDRBlock"] = cidr;
                    }

                    if (subnet?.Gateway is { } gateway)
                    {
                        network["SubnetGatewayIpv4Address"] = subnet.SubnetCidr is { } block && block.Contains('/', StringComparison.Ordinal)
                            ? gateway + block[block.IndexOf('/', StringComparison.Ordinal)..]
                            : gateway;
                    }
                }

                return [network];
            case "bridge":
                var bridge = new JsonObject { ["NetworkMode"] = "bridge" };
                if (details?.IPv4Address is { } ip)
                {
                    bridge["IPv4Addresses"] = new JsonArray(ip);
                }

                return [bridge];
            case "host":
                return [new JsonObject { ["NetworkMode"] = "host" }];
            default:
                return null;
        }
    }

    // Go's time.Time in JSON: RFC 3339 in UTC with the fraction's trailing zeros dropped.
    private static void AddTime(JsonObject json, string name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            json[name] = value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
        }
    }
}
