using System.Globalization;
using System.Text.Json;
using Berth.Ecs.Model;
using Berth.Ecs.State;
using Berth.Protocol.Errors;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>ECS's rules for RegisterTaskDefinition, as a pure function from request to the stored task definition.</summary>
public static class TaskDefinitionRules
{
    public const int MaxContainers = 10;

    /// <summary>ECS's limit on a task definition's JSON (64 KiB).</summary>
    public const int MaxDefinitionBytes = 65536;

    public const int MinEphemeralStorageGiB = 21;
    public const int MaxEphemeralStorageGiB = 200;

    /// <summary>
    /// A stored revision as loaded: documents written before the status moved onto the record kept it in the
    /// definition (which is otherwise never written after registration), so a later status there wins.
    /// </summary>
    public static TaskDefinitionRecord Loaded(TaskDefinitionRecord stored)
        => stored.Status == TaskDefinitionStatus.Active && WireText.Parse<TaskDefinitionStatus>(stored.Definition.Status) is { } old && old != TaskDefinitionStatus.Active
            ? stored with { Status = old, DeregisteredAt = stored.Definition.DeregisteredAt, DeleteRequestedAt = stored.Definition.DeleteRequestedAt }
            : stored;

    /// <summary>
    /// Validates <paramref name="request"/> as ECS does and builds the task definition that is stored and
    /// returned (revision, ARN, status, compatibilities, requiresAttributes, registeredAt/By filled in).
    /// Throws <see cref="AwsException"/> (ClientException / InvalidParameterException) on bad input.
    /// Does not touch <c>tags</c>: the caller validates them with <see cref="TagRules"/> and stores them.
    /// </summary>
    public static TaskDefinition Build(RegisterTaskDefinitionRequest request, string taskDefinitionArn, int revision, DateTimeOffset registeredAt, string registeredBy)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateSize(request);
        ValidateFamily(request.Family);
        var containers = ValidateContainerList(request.ContainerDefinitions);
        ValidateTaskEnums(request);

        var networkMode = request.NetworkMode ?? "bridge";
        var required = request.RequiresCompatibilities ?? [];
        var requiresFargate = required.Contains("FARGATE");
        var cpu = TaskSize.ParseCpu(request.Cpu);
        var memory = TaskSize.ParseMemory(request.Memory);
        if (requiresFargate)
            FargateRules.RequireTaskLevel(networkMode, cpu, memory);
        else if (cpu is < TaskSize.MinEc2Cpu or > TaskSize.MaxEc2Cpu)
            throw TaskSize.InvalidTaskSetting("cpu");
        ValidateLaunchTypes(required, networkMode);
        ValidateEphemeralStorage(request.EphemeralStorage);

        var volumeNames = ValidateVolumes(request.Volumes);
        var task = new TaskFacts(networkMode, cpu, memory, requiresFargate, volumeNames);
        ValidateContainers(containers, task);
        ValidateProxy(request.ProxyConfiguration, containers);
        ValidateTaskSizeCoversContainers(containers, cpu, memory);
        if (requiresFargate && FargateRules.FindUnsupported(request) is { } unsupported)
            throw AwsException.Client(unsupported);

        var stored = containers.Select(c => ContainerRules.Normalize(c, networkMode)).ToList();
        return new TaskDefinition
        {
            TaskDefinitionArn = taskDefinitionArn,
            ContainerDefinitions = stored,
            Family = request.Family,
            TaskRoleArn = request.TaskRoleArn,
            ExecutionRoleArn = request.ExecutionRoleArn,
            // ECS echoes the mode it was given; an unset mode behaves as bridge but is not written out.
            NetworkMode = request.NetworkMode,
            Revision = revision,
            Volumes = [.. (request.Volumes ?? []).Select(WithDefaults)],
            Status = "ACTIVE",
            RequiresAttributes = RequiredAttributes.Derive(request, networkMode, stored),
            PlacementConstraints = request.PlacementConstraints ?? [],
            Compatibilities = Compatibilities(request, required, networkMode, cpu, memory),
            RuntimePlatform = request.RuntimePlatform,
            RequiresCompatibilities = request.RequiresCompatibilities,
            // "1 vCPU" / "2 GB" are stored converted, as units and MiB.
            Cpu = cpu?.ToString(CultureInfo.InvariantCulture),
            Memory = memory?.ToString(CultureInfo.InvariantCulture),
            InferenceAccelerators = request.InferenceAccelerators,
            PidMode = request.PidMode,
            IpcMode = request.IpcMode,
            ProxyConfiguration = request.ProxyConfiguration,
            RegisteredAt = registeredAt,
            RegisteredBy = registeredBy,
            EphemeralStorage = request.EphemeralStorage,
            EnableFaultInjection = request.EnableFaultInjection,
        };
    }

    /// <summary>The definition's JSON size in UTF-8 bytes, as the 64 KiB limit counts it.</summary>
    internal static int MeasureBytes(RegisterTaskDefinitionRequest request) =>
        JsonSerializer.SerializeToUtf8Bytes(request, WireJsonContext.Default.RegisterTaskDefinitionRequest).Length;

    private static void ValidateSize(RegisterTaskDefinitionRequest request)
    {
        // ECS's own wording (seen in CloudTrail), quotes included.
        var size = MeasureBytes(request);
        if (size > MaxDefinitionBytes)
            throw AwsException.Client($"Actual length: '{size}'. Max allowed length is '{MaxDefinitionBytes}' bytes.");
    }

    private static void ValidateFamily(string? family)
    {
        if (string.IsNullOrEmpty(family))
            throw AwsException.Client("Family can not be blank.");
        if (!Names.IsValid(family))
            throw AwsException.Client("Family contains invalid characters.");
    }

    private static List<ContainerDefinition> ValidateContainerList(List<ContainerDefinition>? containers)
    {
        if (containers is not { Count: > 0 })
            throw AwsException.Client("Container list cannot be empty.");
        if (containers.Count > MaxContainers)
            throw AwsException.Client("Too many containers.");
        if (containers.Any(c => c is null))
            throw AwsException.Client("Container.name should not be null or empty.");
        return containers;
    }

    private static void ValidateTaskEnums(RegisterTaskDefinitionRequest request)
    {
        EnumRules.Require(request.NetworkMode, WireEnums.NetworkMode);
        EnumRules.RequireAll(request.RequiresCompatibilities, WireEnums.Compatibility);
        EnumRules.Require(request.PidMode, WireEnums.PidMode);
        EnumRules.Require(request.IpcMode, WireEnums.IpcMode);
        EnumRules.Require(request.ProxyConfiguration?.Type, WireEnums.ProxyConfigurationType);
        EnumRules.RequireAll(request.PlacementConstraints?.Select(p => p?.Type), WireEnums.TaskDefinitionPlacementConstraintType);
        EnumRules.Require(request.RuntimePlatform?.CpuArchitecture, WireEnums.CPUArchitecture);
        EnumRules.Require(request.RuntimePlatform?.OperatingSystemFamily, WireEnums.OSFamily);
    }

    private static void ValidateLaunchTypes(List<string> required, string networkMode)
    {
        // ECS Anywhere (EXTERNAL) has no ENI to give a task.
        if (required.Contains("EXTERNAL") && networkMode == "awsvpc")
            throw AwsException.Client("Tasks using the EXTERNAL launch type do not support network mode 'awsvpc'.");
    }

    private static void ValidateEphemeralStorage(EphemeralStorage? storage)
    {
        if (storage is not null && storage.SizeInGiB is not (>= MinEphemeralStorageGiB and <= MaxEphemeralStorageGiB))
            throw AwsException.Client($"The ephemeral storage size must be between {MinEphemeralStorageGiB} and {MaxEphemeralStorageGiB} GiB.");
    }

    // ECS fills in an EFS volume's root directory ("/") when it is omitted, and shows it so.
    private static Volume WithDefaults(Volume volume) => volume.EfsVolumeConfiguration is { RootDirectory: null } efs
        ? new Volume
        {
            Name = volume.Name,
            Host = volume.Host,
            DockerVolumeConfiguration = volume.DockerVolumeConfiguration,
            S3filesVolumeConfiguration = volume.S3filesVolumeConfiguration,
            FsxWindowsFileServerVolumeConfiguration = volume.FsxWindowsFileServerVolumeConfiguration,
            ConfiguredAtLaunch = volume.ConfiguredAtLaunch,
            EfsVolumeConfiguration = new EFSVolumeConfiguration
            {
                FileSystemId = efs.FileSystemId,
                RootDirectory = "/",
                TransitEncryption = efs.TransitEncryption,
                TransitEncryptionPort = efs.TransitEncryptionPort,
                AuthorizationConfig = efs.AuthorizationConfig,
            },
        }
        : volume;

    private static HashSet<string> ValidateVolumes(List<Volume>? volumes)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var volume in volumes ?? [])
        {
            if (string.IsNullOrEmpty(volume?.Name))
                throw AwsException.Client("Volume.name should not be null or empty.");
            if (!Names.IsValid(volume.Name))
                throw AwsException.Client("Volume.name contains invalid characters.");
            if (!names.Add(volume.Name))
                throw AwsException.Client("Volume names must be unique within a Task Definition.");
            EnumRules.Require(volume.DockerVolumeConfiguration?.Scope, WireEnums.Scope);
            EnumRules.Require(volume.EfsVolumeConfiguration?.TransitEncryption, WireEnums.EFSTransitEncryption);
            EnumRules.Require(volume.EfsVolumeConfiguration?.AuthorizationConfig?.Iam, WireEnums.EFSAuthorizationConfigIAM);
        }
        return names;
    }

    private static void ValidateContainers(List<ContainerDefinition> containers, TaskFacts task)
    {
        var byName = new Dictionary<string, ContainerDefinition>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            ContainerRules.ValidateName(container.Name);
            if (!byName.TryAdd(container.Name!, container))
                throw AwsException.Client("Container names must be unique within a Task Definition.");
        }
        foreach (var container in containers)
            ContainerRules.Validate(container, task);
        if (!containers.Any(c => c.Essential ?? true))
            throw AwsException.Client("Task definition doesn't have any essential container.");
        foreach (var container in containers)
        {
            ValidateDependencies(container, byName);
            ValidateVolumesFrom(container, byName);
        }
        ValidateNoDependencyCycle(containers, byName);
    }

    private static void ValidateDependencies(ContainerDefinition container, Dictionary<string, ContainerDefinition> byName)
    {
        foreach (var dependency in container.DependsOn ?? [])
        {
            // Both messages are ECS's, the stray "+" and missing full stop included.
            var target = dependency?.ContainerName;
            if (target is null || !byName.TryGetValue(target, out var other))
                throw AwsException.Client($"Cannot depend on container + '{target ?? "null"}' because it does not exist");
            if (dependency!.Condition is null)
                throw ContainerRules.Invalid(container.Name!, "'dependsOn.condition' should not be null or empty.");
            if (dependency.Condition is "SUCCESS" or "COMPLETE" && (other.Essential ?? true))
                throw AwsException.Client("A dependency container with SUCCESS or COMPLETE condition cannot be an essential container");
            if (dependency.Condition == "HEALTHY" && other.HealthCheck is null)
                throw AwsException.Client($"A dependency container with HEALTHY condition must have a health check: container '{target}' has none.");
        }
    }

    private static void ValidateVolumesFrom(ContainerDefinition container, Dictionary<string, ContainerDefinition> byName)
    {
        foreach (var source in container.VolumesFrom ?? [])
        {
            var name = source?.SourceContainer;
            if (name is null || !byName.ContainsKey(name))
                throw AwsException.Client($"Unknown container '{name ?? "null"}' in volumesFrom of container '{container.Name}'.");
        }
    }

    private static void ValidateNoDependencyCycle(List<ContainerDefinition> containers, Dictionary<string, ContainerDefinition> byName)
    {
        // Depth-first walk; a container met again while still on the path closes a cycle.
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the path, true: done
        bool Cycles(string name)
        {
            if (state.TryGetValue(name, out var done))
                return !done;
            state[name] = false;
            foreach (var dependency in byName[name].DependsOn ?? [])
            {
                if (Cycles(dependency.ContainerName!))
                    return true;
            }
            state[name] = true;
            return false;
        }
        foreach (var container in containers)
        {
            if (Cycles(container.Name!))
                throw AwsException.Client($"Container dependency cycle detected involving container '{container.Name}'.");
        }
    }

    private static void ValidateProxy(ProxyConfiguration? proxy, List<ContainerDefinition> containers)
    {
        if (proxy is not null && !containers.Any(c => c.Name == proxy.ContainerName))
            throw AwsException.Client($"Proxy configuration container name '{proxy.ContainerName ?? "null"}' does not match any container in the task definition.");
    }

    private static void ValidateTaskSizeCoversContainers(List<ContainerDefinition> containers, int? cpu, int? memory)
    {
        if (cpu is { } taskCpu && containers.Sum(c => (long)(c.Cpu ?? 0)) > taskCpu)
            throw AwsException.Client("The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.");
        if (memory is not { } taskMemory)
            return;
        foreach (var container in containers)
        {
            if (container.Memory > taskMemory)
                throw AwsException.Client($"The 'memory' setting for container '{container.Name}' is greater than for the task.");
            if (container.MemoryReservation > taskMemory)
                throw AwsException.Client($"The 'memoryReservation' setting for container '{container.Name}' is greater than for the task.");
        }
        // What a container reserves is its soft limit when it has one, else its hard limit.
        if (containers.Sum(c => (long)(c.MemoryReservation ?? c.Memory ?? 0)) > taskMemory)
            throw AwsException.Client("The sum of all container 'memory' values cannot be greater than the value of the task 'memory'.");
    }

    /// <summary>
    /// The launch types ECS validated the definition against: EC2 always; EXTERNAL unless it uses awsvpc;
    /// MANAGED_INSTANCES when required; FARGATE when required or when the definition meets Fargate's rules.
    /// </summary>
    private static List<string> Compatibilities(RegisterTaskDefinitionRequest request, List<string> required, string networkMode, int? cpu, int? memory)
    {
        var list = new List<string>();
        // ECS lists EXTERNAL first for definitions ECS Anywhere can run.
        if (networkMode != "awsvpc")
            list.Add("EXTERNAL");
        list.Add("EC2");
        if (required.Contains("MANAGED_INSTANCES"))
            list.Add("MANAGED_INSTANCES");
        if (required.Contains("FARGATE") || FargateRules.Supports(request, networkMode, cpu, memory))
            list.Add("FARGATE");
        return list;
    }
}
