using Berth.Ecs.Model;

namespace Berth.Ecs.TaskDefinitions;

/// <summary>
/// The container-instance attributes ECS derives from a task definition (<c>requiresAttributes</c>):
/// what the agent and Docker on an EC2 instance must support to place the task.
/// </summary>
internal static class RequiredAttributes
{
    private const string Legacy = "com.amazonaws.ecs.capability.";
    private const string Current = "ecs.capability.";

    /// <summary>The Docker Remote API version each log driver first appeared in.</summary>
    private static readonly Dictionary<string, string> RemoteApiByLogDriver = new(StringComparer.Ordinal)
    {
        ["json-file"] = "1.18",
        ["syslog"] = "1.18",
        ["journald"] = "1.19",
        ["awslogs"] = "1.19",
        ["splunk"] = "1.19",
        ["gelf"] = "1.20",
        ["fluentd"] = "1.20",
    };

    public static List<EcsAttribute> Derive(RegisterTaskDefinitionRequest request, string networkMode, IReadOnlyList<ContainerDefinition> containers)
    {
        // Insertion-ordered and de-duplicated, so the answer is stable for the same definition.
        var names = new List<string>();
        void Add(string name)
        {
            if (!names.Contains(name))
                names.Add(name);
        }

        if (request.TaskRoleArn is not null)
            Add(Legacy + "task-iam-role");
        if (networkMode == "awsvpc")
        {
            Add(Legacy + "docker-remote-api.1.18");
            Add(Current + "task-eni");
        }
        if (request.PidMode is not null || request.IpcMode is not null)
            Add(Current + "pid-ipc-namespace-sharing");
        if (request.ProxyConfiguration is not null)
            Add(Current + "aws-appmesh");
        foreach (var volume in request.Volumes ?? [])
            AddVolume(volume, Add);
        foreach (var container in containers)
            AddContainer(container, request.ExecutionRoleArn is not null, Add);

        return names.Select(n => new EcsAttribute { Name = n }).ToList();
    }

    private static void AddVolume(Volume? volume, Action<string> add)
    {
        if (volume?.EfsVolumeConfiguration is { } efs)
        {
            add(Current + "efs");
            if (efs.AuthorizationConfig is not null)
                add(Current + "efsAuth");
        }
        if (volume?.FsxWindowsFileServerVolumeConfiguration is not null)
            add(Current + "fsxWindowsFileServer");
        if (volume?.DockerVolumeConfiguration is not null)
            add(Legacy + "docker-remote-api.1.25");
    }

    private static void AddContainer(ContainerDefinition container, bool hasExecutionRole, Action<string> add)
    {
        if (container.LogConfiguration?.LogDriver is { } driver)
        {
            add(Legacy + "logging-driver." + driver);
            if (RemoteApiByLogDriver.TryGetValue(driver, out var version))
                add(Legacy + "docker-remote-api." + version);
            if (driver == "awslogs" && hasExecutionRole)
                add(Current + "execution-role-awslogs");
        }
        if (container.FirelensConfiguration?.Type is { } firelens)
            add(Current + "firelens." + firelens);
        if (Names.IsEcrImage(container.Image))
        {
            add(Legacy + "ecr-auth");
            if (hasExecutionRole)
                add(Current + "execution-role-ecr-pull");
        }
        if (container.RepositoryCredentials is not null)
            add(Legacy + "private-registry-authentication.secretsmanager");
        if (container.DockerLabels is { Count: > 0 })
            add(Legacy + "docker-remote-api.1.18");
        if (container.MemoryReservation is not null)
            add(Legacy + "docker-remote-api.1.21");
        if (container.HealthCheck is not null)
            add(Current + "container-health-check");
        if (container.DependsOn is { Count: > 0 } || container.StartTimeout is not null || container.StopTimeout is not null)
            add(Current + "container-ordering");
        if (container.LinuxParameters?.InitProcessEnabled == true)
            add(Legacy + "docker-remote-api.1.25");
        foreach (var secret in container.Secrets ?? [])
            add(Current + (secret.ValueFrom?.Contains(":secretsmanager:", StringComparison.Ordinal) == true ? "secrets.asm" : "secrets.ssm") + ".environment-variables");
        if (container.EnvironmentFiles is { Count: > 0 })
            add(Current + "env-files.s3");
        if (container.PortMappings?.Any(p => p.ContainerPortRange is not null) == true)
            add(Current + "container-port-range");
        if (container.RestartPolicy?.Enabled == true)
            add(Current + "container-restart-policy");
    }
}
