using Berth.Ecs.Model;
using Berth.Protocol.Errors;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>What a container's rules need to know about the task around it.</summary>
internal sealed record TaskFacts(string NetworkMode, int? Cpu, int? Memory, bool RequiresFargate, IReadOnlySet<string> VolumeNames);

/// <summary>The rules that concern one container definition on its own, and the copy of it ECS stores (with its defaults).</summary>
internal static class ContainerRules
{
    private static readonly string[] AwsLogsRequired = ["awslogs-region", "awslogs-group"];

    /// <summary>Docker 20.10 reserves 6 MiB per container; the ECS docs ask for no less than that.</summary>
    public const int MinContainerMemory = 6;

    public const int MaxEnvironmentFiles = 10;

    public static void ValidateName(string? name)
    {
        // Messages as ECS sends them (seen in Terraform, CloudFormation and Ansible reports).
        if (string.IsNullOrEmpty(name))
            throw AwsException.Client("Container.name should not be null or empty.");
        if (!Names.IsValid(name))
            throw AwsException.Client("Container.name contains invalid characters.");
    }

    public static void ValidateImage(string? image)
    {
        if (string.IsNullOrEmpty(image))
            throw AwsException.Client("Container.image should not be null or empty.");
        if (!Names.IsValidImage(image))
            throw AwsException.Client("Container.image contains invalid characters.");
    }

    /// <summary>Everything about one container that does not involve the other containers.</summary>
    public static void Validate(ContainerDefinition container, TaskFacts task)
    {
        var name = container.Name!;
        ValidateImage(container.Image);
        ValidateCpuAndMemory(container, name, task);
        PortMappingRules.Validate(container.PortMappings, name, task.NetworkMode);
        ValidateEnvironment(container, name);
        ValidateHealthCheck(container.HealthCheck, name);
        ValidateMountPoints(container.MountPoints, task.VolumeNames);
        ValidateEnums(container);
        ValidateLogConfiguration(container.LogConfiguration);
        if (task.NetworkMode == "awsvpc" && container.Links is { Count: > 0 })
            throw AwsException.Client("Links are not supported when networkMode=awsvpc.");
    }

    private static void ValidateCpuAndMemory(ContainerDefinition container, string name, TaskFacts task)
    {
        if (container.Cpu < 0)
            throw Invalid(name, "'cpu' must be greater than or equal to 0.");
        if (container.Memory < MinContainerMemory)
            throw Invalid(name, $"'memory' must be at least {MinContainerMemory} MiB.");
        if (container.MemoryReservation < MinContainerMemory)
            throw Invalid(name, $"'memoryReservation' must be at least {MinContainerMemory} MiB.");
        if (container.Memory < container.MemoryReservation)
            throw Invalid(name, "'memory' must be greater than or equal to 'memoryReservation'.");
        // Fargate sizes the task from the task level, so containers may leave memory out there.
        if (task.Memory is null && !task.RequiresFargate && container.Memory is null && container.MemoryReservation is null)
            throw Invalid(name, "At least one of 'memory' or 'memoryReservation' must be specified.");
    }

    private static void ValidateEnvironment(ContainerDefinition container, string name)
    {
        foreach (var variable in container.Environment ?? [])
        {
            if (string.IsNullOrEmpty(variable?.Name))
                throw Invalid(name, "Environment variable name should not be null or empty.");
        }
        foreach (var label in container.DockerLabels?.Keys ?? Enumerable.Empty<string>())
        {
            if (label.Length == 0)
                throw Invalid(name, "Docker label key should not be null or empty.");
        }
        var files = container.EnvironmentFiles ?? [];
        if (files.Count > MaxEnvironmentFiles)
            throw Invalid(name, $"A maximum of {MaxEnvironmentFiles} environment files can be specified.");
        foreach (var file in files)
        {
            if (string.IsNullOrEmpty(file?.Value))
                throw Invalid(name, "Environment file value should not be null or empty.");
            if (file.Type is null)
                throw Invalid(name, "Environment file type should not be null or empty.");
            EnumRules.Require(file.Type, WireEnums.EnvironmentFileType);
        }
        foreach (var secret in container.Secrets ?? [])
        {
            if (string.IsNullOrEmpty(secret?.Name) || string.IsNullOrEmpty(secret.ValueFrom))
                throw Invalid(name, "Secret name and valueFrom should not be null or empty.");
        }
    }

    private static void ValidateHealthCheck(HealthCheck? check, string name)
    {
        if (check is null)
            return;
        if (check.Command is not { Count: > 0 } || check.Command.All(string.IsNullOrEmpty))
            throw Invalid(name, "'healthCheck.command' should not be null or empty.");
        RequireRange(check.Interval, 5, 300, name, "healthCheck.interval", " seconds");
        RequireRange(check.Timeout, 2, 60, name, "healthCheck.timeout", " seconds");
        RequireRange(check.Retries, 1, 10, name, "healthCheck.retries", "");
        RequireRange(check.StartPeriod, 0, 300, name, "healthCheck.startPeriod", " seconds");
    }

    private static void RequireRange(int? value, int min, int max, string container, string field, string unit)
    {
        if (value < min || value > max)
            throw Invalid(container, $"'{field}' must be between {min} and {max}{unit}.");
    }

    private static void ValidateMountPoints(List<MountPoint>? mountPoints, IReadOnlySet<string> volumeNames)
    {
        foreach (var mount in mountPoints ?? [])
        {
            // ECS prints a missing name as 'null' ("Unknown volume 'null'." is a known ECS answer).
            var source = mount?.SourceVolume;
            if (source is null || !volumeNames.Contains(source))
                throw AwsException.Client($"Unknown volume '{source ?? "null"}'.");
        }
    }

    private static void ValidateEnums(ContainerDefinition container)
    {
        EnumRules.RequireAll(container.Ulimits?.Select(u => u?.Name), WireEnums.UlimitName);
        EnumRules.RequireAll(container.DependsOn?.Select(d => d?.Condition), WireEnums.ContainerCondition);
        EnumRules.RequireAll(container.ResourceRequirements?.Select(r => r?.Type), WireEnums.ResourceType);
        EnumRules.Require(container.FirelensConfiguration?.Type, WireEnums.FirelensConfigurationType);
        EnumRules.Require(container.VersionConsistency, WireEnums.VersionConsistency);
        EnumRules.RequireAll(container.LinuxParameters?.Devices?.SelectMany(d => d?.Permissions ?? []), WireEnums.DeviceCgroupPermission);
    }

    private static void ValidateLogConfiguration(LogConfiguration? log)
    {
        if (log is null)
            return;
        if (log.LogDriver is null)
            throw AwsException.Client("Log configuration logDriver should not be null or empty.");
        EnumRules.Require(log.LogDriver, WireEnums.LogDriver);
        if (log.LogDriver == "awslogs"
            && (log.Options is null || !log.Options.ContainsKey("awslogs-group") || !log.Options.ContainsKey("awslogs-region")))
        {
            // Only the options that are missing are named.
            var missing = AwsLogsRequired.Where(o => log.Options?.ContainsKey(o) != true);
            throw AwsException.Client("Log driver awslogs requires options: " + string.Join(", ", missing));
        }

        AwsLogsOptionRules.Check(log);
    }

    /// <summary>ECS's wording for a container setting it refuses ("Invalid setting for container 'x'. ...").</summary>
    public static AwsException Invalid(string container, string detail) =>
        AwsException.Client($"Invalid setting for container '{container}'. {detail}");

    /// <summary>
    /// The container as ECS stores it: every member carried over, plus ECS's defaults (cpu 0, essential true,
    /// empty lists, tcp, the host port awsvpc/host/bridge imply, the health check's default timings).
    /// </summary>
    public static ContainerDefinition Normalize(ContainerDefinition c, string networkMode) => new()
    {
        Name = c.Name,
        Image = c.Image,
        RepositoryCredentials = c.RepositoryCredentials,
        Cpu = c.Cpu ?? 0,
        Memory = c.Memory,
        MemoryReservation = c.MemoryReservation,
        Links = c.Links,
        PortMappings = PortMappingRules.Normalize(c.PortMappings, networkMode),
        Essential = c.Essential ?? true,
        RestartPolicy = c.RestartPolicy,
        EntryPoint = c.EntryPoint,
        Command = c.Command,
        Environment = c.Environment ?? [],
        EnvironmentFiles = c.EnvironmentFiles,
        MountPoints = c.MountPoints ?? [],
        VolumesFrom = c.VolumesFrom ?? [],
        LinuxParameters = c.LinuxParameters,
        Secrets = c.Secrets,
        DependsOn = c.DependsOn,
        StartTimeout = c.StartTimeout,
        StopTimeout = c.StopTimeout,
        VersionConsistency = c.VersionConsistency,
        Hostname = c.Hostname,
        User = c.User,
        WorkingDirectory = c.WorkingDirectory,
        DisableNetworking = c.DisableNetworking,
        Privileged = c.Privileged,
        ReadonlyRootFilesystem = c.ReadonlyRootFilesystem,
        DnsServers = c.DnsServers,
        DnsSearchDomains = c.DnsSearchDomains,
        ExtraHosts = c.ExtraHosts,
        DockerSecurityOptions = c.DockerSecurityOptions,
        Interactive = c.Interactive,
        PseudoTerminal = c.PseudoTerminal,
        DockerLabels = c.DockerLabels,
        Ulimits = c.Ulimits,
        LogConfiguration = c.LogConfiguration,
        HealthCheck = NormalizeHealthCheck(c.HealthCheck),
        SystemControls = c.SystemControls ?? [],
        ResourceRequirements = c.ResourceRequirements,
        FirelensConfiguration = c.FirelensConfiguration,
        CredentialSpecs = c.CredentialSpecs,
    };

    private static HealthCheck? NormalizeHealthCheck(HealthCheck? check) => check is null ? null : new HealthCheck
    {
        Command = check.Command,
        Interval = check.Interval ?? 30,
        Timeout = check.Timeout ?? 5,
        Retries = check.Retries ?? 3,
        StartPeriod = check.StartPeriod,
    };
}
