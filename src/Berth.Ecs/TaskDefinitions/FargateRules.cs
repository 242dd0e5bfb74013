using Berth.Ecs.Model;
using Berth.Protocol.Errors;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>
/// What Fargate requires of a task definition. The same rules decide both the errors for
/// <c>requiresCompatibilities: [FARGATE]</c> and whether FARGATE is listed in <c>compatibilities</c>.
/// </summary>
internal static class FargateRules
{
    private static readonly string[] FargateLogDrivers = ["awslogs", "splunk", "awsfirelens"];

    public const int MaxStopTimeout = 120;

    /// <summary>Task-level size and network mode, checked before the containers (as ECS does).</summary>
    public static void RequireTaskLevel(string networkMode, int? cpu, int? memory)
    {
        // Messages are ECS's own (as reported by Terraform/CloudFormation users); note the typographic quotes.
        if (networkMode != "awsvpc")
            throw AwsException.Client("Fargate only supports network mode \u2018awsvpc\u2019.");
        if (cpu is null)
            throw AwsException.Client("Fargate requires that 'cpu' be defined at the task level.");
        if (memory is null)
            throw AwsException.Client("Fargate requires that 'memory' be defined at the task level.");
        if (!TaskSize.IsFargatePair(cpu.Value, memory.Value))
            throw AwsException.Client($"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS documentation for the valid values.");
    }

    /// <summary>Whether Fargate could run this definition (for <c>compatibilities</c> when FARGATE was not required).</summary>
    public static bool Supports(RegisterTaskDefinitionRequest request, string networkMode, int? cpu, int? memory) =>
        networkMode == "awsvpc" && cpu is { } c && memory is { } m && TaskSize.IsFargatePair(c, m) && FindUnsupported(request) is null;

    /// <summary>The first thing in the definition Fargate does not support, as ECS's message; null when there is none.</summary>
    public static string? FindUnsupported(RegisterTaskDefinitionRequest request)
    {
        if (request.PidMode == "host")
            return "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.";
        if (request.IpcMode is not null)
            return "Tasks using the Fargate launch type do not support ipcMode.";
        if (request.PlacementConstraints is { Count: > 0 })
            return "Tasks using the Fargate launch type do not support placement constraints.";
        if (request.InferenceAccelerators is { Count: > 0 })
            return "Tasks using the Fargate launch type do not support inference accelerators.";
        foreach (var volume in request.Volumes ?? [])
        {
            if (volume?.DockerVolumeConfiguration is not null)
                return "Tasks using the Fargate launch type do not support Docker volumes.";
            if (volume?.Host?.SourcePath is not null)
                return "Fargate compatible task definitions do not support sourcePath";
        }
        foreach (var container in request.ContainerDefinitions ?? [])
        {
            if (FindUnsupported(container, request.ExecutionRoleArn) is { } message)
                return message;
        }
        return null;
    }

    private static string? FindUnsupported(ContainerDefinition container, string? executionRoleArn)
    {
        if (container.Privileged == true)
            return "Tasks using the Fargate launch type do not support privileged containers.";
        var linux = container.LinuxParameters;
        if (linux?.Devices is { Count: > 0 } || linux?.SharedMemorySize is not null || linux?.Tmpfs is { Count: > 0 }
            || linux?.MaxSwap is not null || linux?.Swappiness is not null)
        {
            return "Tasks using the Fargate launch type do not support the linuxParameters devices, sharedMemorySize, tmpfs, maxSwap and swappiness.";
        }
        if (container.StopTimeout > MaxStopTimeout)
            return $"Tasks using the Fargate launch type support a container stopTimeout of at most {MaxStopTimeout} seconds.";
        var driver = container.LogConfiguration?.LogDriver;
        if (driver is not null && Array.IndexOf(FargateLogDrivers, driver) < 0)
            return $"{driver} is not a valid log driver. Must be one of [{string.Join(',', FargateLogDrivers)}]";
        // Fargate pulls ECR images and ships awslogs with the execution role, not an instance role.
        if (executionRoleArn is null && driver == "awslogs")
            return "Fargate requires task definition to have execution role ARN to support log driver awslogs.";
        if (AwsLogsOptionRules.FargateProblem(container.LogConfiguration) is { } awslogs)
            return awslogs;
        if (executionRoleArn is null && Names.IsEcrImage(container.Image))
            return "Fargate requires task definition to have execution role ARN to support ECR images.";
        return null;
    }
}
