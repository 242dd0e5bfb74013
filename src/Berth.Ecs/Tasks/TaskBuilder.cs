using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Berth.Ecs.Arns;
using Berth.Ecs.Capacity;
using Berth.Ecs.Clusters;
using Berth.Ecs.ContainerInstances;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Ecs.TaskDefinitions;
using Berth.Protocol.Errors;
using Berth.Scheduling;

namespace Berth.Ecs.Tasks;

/// <summary>What RunTask and StartTask share: the checked launch (definition, overrides, size, tags) and the task built from it.</summary>
internal static class TaskBuilder
{
    /// <summary>Most characters of overrides ECS takes, JSON included.</summary>
    public const int MaxOverrideLength = 8192;

    /// <summary>Everything a new task of one request needs except where it runs.</summary>
    public sealed record Launch(
        TaskDefinition Definition,
        TaskOverride Overrides,
        int Cpu,
        int Memory,
        List<int> TcpPorts,
        List<int> UdpPorts,
        string LaunchType,
        string Group,
        string? StartedBy,
        List<Tag> Tags,
        bool EnableExecuteCommand,
        NetworkConfiguration? NetworkConfiguration)
    {
        /// <summary>The capacity provider the task runs on when a strategy chose it (FARGATE); null for a launch type.</summary>
        public string? CapacityProvider { get; init; }

        /// <summary>The overrides as every task of the launch keeps them (frozen once, shared by all).</summary>
        public FrozenJson FrozenOverrides { get; } = FrozenJson.Of(Overrides, WireWriting.Default.TaskOverride);
    }

    /// <summary>The common launch parameters of RunTask and StartTask.</summary>
    public sealed record Parameters(
        string? TaskDefinition,
        TaskOverride? Overrides,
        string? StartedBy,
        int StartedByMax,
        string? Group,
        List<Tag>? Tags,
        string? PropagateTags,
        bool? EnableEcsManagedTags,
        bool? EnableExecuteCommand,
        NetworkConfiguration? NetworkConfiguration,
        string LaunchType,
        bool AllowInactive = false);

    /// <summary>Checks a launch as ECS does and resolves its definition, overrides, size and tags.</summary>
    public static Launch Check(EcsState state, Scope scope, ClusterRecord cluster, Parameters p)
    {
        var stored = TaskDefinitionLookup.Find(state, TaskDefinitionLookup.Parse(scope, p.TaskDefinition));
        if (stored is null || stored.Status == TaskDefinitionStatus.DeleteInProgress)
        {
            throw AwsException.Client("TaskDefinition not found.");
        }

        var definition = stored.Definition;
        if (stored.Status != TaskDefinitionStatus.Active && !p.AllowInactive)
        {
            // ECS's rule for deregistered revisions: running tasks keep them, new tasks cannot use them.
            throw AwsException.InvalidParameter("TaskDefinition is inactive");
        }

        if (!(definition.Compatibilities ?? []).Contains(p.LaunchType))
        {
            throw AwsException.InvalidParameter($"Task definition does not support launch_type {p.LaunchType}.");
        }

        var networkMode = definition.NetworkMode ?? "bridge";
        if (networkMode == "awsvpc" && p.NetworkConfiguration?.AwsvpcConfiguration is null)
        {
            throw AwsException.InvalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
        }

        if (networkMode != "awsvpc" && p.NetworkConfiguration is not null)
        {
            throw AwsException.InvalidParameter("Network Configuration is not valid for the given networkMode of this task definition.");
        }

        if (p.StartedBy is { } startedBy && startedBy.Length > p.StartedByMax)
        {
            throw AwsException.InvalidParameter($"startedBy longer than {p.StartedByMax}.");
        }

        var overrides = CheckOverrides(definition, p.Overrides);
        var (cpu, memory) = Size(definition, overrides);
        var (tcp, udp) = TaskResources.StaticPorts(definition);

        TagRules.Validate(p.Tags);
        var tags = new List<Tag>(p.Tags ?? []);
        switch (p.PropagateTags)
        {
            case null or "NONE":
                break;
            case "TASK_DEFINITION":
                foreach (var tag in stored.Tags)
                {
                    if (!tags.Any(t => t.Key == tag.Key))
                    {
                        tags.Add(new Tag { Key = tag.Key, Value = tag.Value });
                    }
                }

                break;
            case "SERVICE":
                throw AwsException.InvalidParameter("The SERVICE option for propagateTags is only valid for tasks started by a service.");
            default:
                throw AwsException.InvalidParameter($"Invalid value for propagateTags: {p.PropagateTags}. Valid values are {string.Join(", ", WireEnums.PropagateTags)}.");
        }

        if (p.EnableEcsManagedTags == true)
        {
            tags.Add(new Tag { Key = "aws:ecs:clusterName", Value = cluster.ClusterName });
        }

        if (tags.Count > TagRules.MaxTags)
        {
            throw AwsException.InvalidParameter($"The maximum number of tags per resource is {TagRules.MaxTags}. {tags.Count} tags were specified.");
        }

        return new Launch(
            definition, overrides, cpu, memory, tcp, udp, p.LaunchType,
            string.IsNullOrEmpty(p.Group) ? "family:" + definition.Family : p.Group,
            p.StartedBy, tags, p.EnableExecuteCommand ?? false, p.NetworkConfiguration);
    }

    /// <summary>What placement needs to know about one task of the launch.</summary>
    public static PlacementRequest Demand(Launch launch, int count) =>
        new(launch.Cpu, launch.Memory, launch.TcpPorts, launch.UdpPorts, count) { Group = launch.Group };

    /// <summary>
    /// A new task of the launch on <paramref name="instance"/>, as ECS shows it right after RunTask; with no instance,
    /// a task waiting in PROVISIONING for an Auto Scaling group provider to scale out.
    /// </summary>
    public static TaskRecord Build(Launch launch, Scope scope, ClusterRecord cluster, InstanceRecord? instance, IdSource ids, DateTimeOffset now)
    {
        var taskId = ids.Hex32();
        var prefix = scope.EcsPrefix;
        var taskArn = $"{prefix}task/{cluster.ClusterName}/{taskId}";
        var definitions = launch.Definition.ContainerDefinitions ?? [];
        var containers = ImmutableArray.CreateBuilder<ContainerRecord>(definitions.Count);
        foreach (var definition in definitions)
        {
            var o = OverrideOf(launch.Overrides, definition.Name);
            var memory = o?.Memory ?? definition.Memory;
            var reservation = o?.MemoryReservation ?? definition.MemoryReservation;
            containers.Add(new ContainerRecord
            {
                ContainerArn = $"{prefix}container/{cluster.ClusterName}/{taskId}/{ids.Uuid()}",
                Name = definition.Name ?? string.Empty,
                Image = definition.Image,
                LastStatus = ContainerStatus.Pending,
                HealthStatus = definition.HealthCheck is null ? null : HealthStatus.Unknown,
                Cpu = Text(o?.Cpu ?? definition.Cpu ?? 0),
                Memory = memory is { } m ? Text(m) : null,
                MemoryReservation = reservation is { } r ? Text(r) : null,
            });
        }

        var attachments = ImmutableArray<TaskAttachment>.Empty;
        if (launch.NetworkConfiguration?.AwsvpcConfiguration is { } vpc)
        {
            // The ENI an awsvpc task gets; the agent's network setup moves it on. Minimal until awsvpc networking lands.
            attachments = [new TaskAttachment(ids.Uuid(), "ElasticNetworkInterface", "PRECREATED", [.. (vpc.Subnets ?? []).Take(1).Select(s => new NameValue("subnetId", s))])];
        }

        var launchType = WireText.Parse<LaunchType>(launch.LaunchType) ?? LaunchType.Ec2;
        var fargate = launchType == LaunchType.Fargate;
        return new TaskRecord
        {
            TaskArn = taskArn,
            ClusterArn = cluster.ClusterArn!,
            TaskDefinitionArn = launch.Definition.TaskDefinitionArn!,
            ContainerInstanceArn = instance?.ContainerInstanceArn,
            AvailabilityZone = instance?.Attribute("ecs.availability-zone"),
            Attachments = attachments,
            Containers = containers.MoveToImmutable(),
            Cpu = launch.Cpu,
            Memory = launch.Memory,
            CreatedAt = now,
            DesiredStatus = EcsTaskStatus.Running,
            LastStatus = EcsTaskStatus.Provisioning,
            EnableExecuteCommand = launch.EnableExecuteCommand,
            Group = launch.Group,
            HealthStatus = HealthStatus.Unknown,
            LaunchType = launchType,
            CapacityProviderName = launch.CapacityProvider,
            PlatformVersion = fargate ? FargateCapacity.PlatformVersion : null,
            PlatformFamily = fargate ? "Linux" : null,
            EphemeralStorage = fargate ? new EphemeralStorageSize(launch.Overrides.EphemeralStorage?.SizeInGiB ?? launch.Definition.EphemeralStorage?.SizeInGiB ?? FargateCapacity.DefaultEphemeralStorageGiB) : null,
            Overrides = launch.FrozenOverrides,
            StartedBy = launch.StartedBy,
            Tags = ResourceTag.FromWire(launch.Tags),
            Version = 1,
        };
    }

    private static TaskOverride CheckOverrides(TaskDefinition definition, TaskOverride? given)
    {
        if (given is not null && JsonSerializer.Serialize(given, WireWriting.Default.TaskOverride).Length > MaxOverrideLength)
        {
            throw AwsException.InvalidParameter($"Container Overrides length must be at most {MaxOverrideLength}");
        }

        foreach (var o in given?.ContainerOverrides ?? [])
        {
            if (string.IsNullOrEmpty(o.Name))
            {
                throw AwsException.InvalidParameter("Container override name can not be blank.");
            }

            if (!Names(definition, o.Name))
            {
                throw AwsException.InvalidParameter($"Override for container named {o.Name} is not a container in the TaskDefinition.");
            }

            if (o.Cpu is < 0 || o.Memory is < 1 || o.MemoryReservation is < 1)
            {
                throw AwsException.InvalidParameter($"Invalid cpu or memory override for container {o.Name}.");
            }

            if (o.Memory is { } hard && o.MemoryReservation is { } soft && soft > hard)
            {
                throw AwsException.InvalidParameter($"Invalid setting for container '{o.Name}'. The memoryReservation must be less than or equal to memory.");
            }
        }

        // ECS echoes the overrides with empty lists rather than absent ones.
        return new TaskOverride
        {
            ContainerOverrides = given?.ContainerOverrides ?? [],
            InferenceAcceleratorOverrides = given?.InferenceAcceleratorOverrides ?? [],
            Cpu = given?.Cpu,
            Memory = given?.Memory,
            TaskRoleArn = given?.TaskRoleArn,
            ExecutionRoleArn = given?.ExecutionRoleArn,
            EphemeralStorage = given?.EphemeralStorage,
        };
    }

    /// <summary>The CPU units and memory (MiB) a task of <paramref name="definition"/> reserves.</summary>
    public static (int Cpu, int Memory) SizeOf(TaskDefinition definition) => Size(definition, new TaskOverride { ContainerOverrides = [] });

    // Task-level cpu and memory when set (override first), else the sums over the containers.
    private static (int Cpu, int Memory) Size(TaskDefinition definition, TaskOverride overrides)
    {
        var taskCpu = TaskSize.ParseCpu(overrides.Cpu ?? definition.Cpu);
        var taskMemory = TaskSize.ParseMemory(overrides.Memory ?? definition.Memory);
        var cpu = 0;
        var memory = 0;
        foreach (var container in definition.ContainerDefinitions ?? [])
        {
            var o = OverrideOf(overrides, container.Name);
            cpu += o?.Cpu ?? container.Cpu ?? 0;
            memory += o?.Memory ?? container.Memory ?? o?.MemoryReservation ?? container.MemoryReservation ?? 0;
        }

        return (taskCpu ?? cpu, taskMemory ?? memory);
    }

    private static bool Names(TaskDefinition definition, string name)
    {
        foreach (var container in definition.ContainerDefinitions ?? [])
        {
            if (container.Name == name)
            {
                return true;
            }
        }

        return false;
    }

    // The last override naming the container (ECS takes the last); a loop, since it runs for every container of every task built.
    private static ContainerOverride? OverrideOf(TaskOverride overrides, string? name)
    {
        var list = overrides.ContainerOverrides!;
        for (var i = list.Count - 1; i >= 0; i--)
        {
            if (list[i].Name == name)
            {
                return list[i];
            }
        }

        return null;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
